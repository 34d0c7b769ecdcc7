using System.IO;
using Microsoft.ML.Compression.Analysis;
using Microsoft.ML.Compression.Compressed;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Onnx;
using Microsoft.ML.Compression.Scoring;
using Microsoft.ML.Data;

namespace Microsoft.ML.Compression.Estimators;

/// <summary>
/// A trained (and possibly compressed) network, scored by ONNX Runtime through ML.NET. Transform adds the options'
/// Score column (class probabilities, the softmax of the logits) and PredictedLabel column (the most probable class, a
/// key with one value per class whose values are the label column's class names when it has them), exactly as ML.NET's
/// multiclass trainers do, so <c>mlContext.MulticlassClassification.Evaluate</c> and <c>MapKeyToValue</c> work on it.
/// </summary>
/// <remarks>
/// Saving with <c>mlContext.Model.Save</c> stores ML.NET's own scoring pipeline around the ONNX model, so the saved
/// file loads anywhere ML.NET and ONNX Runtime run, without this library. The float network (<see cref="Network"/>)
/// is kept so the model can be the starting point of a further compression step; <see cref="Compressed"/> is what was
/// exported. Dispose releases ONNX Runtime's session.
/// </remarks>
public sealed class CompressedModelTransformer : ITransformer, IDisposable
{
    private readonly OnnxScoringPipeline _scorer;
    private readonly byte[] _onnx;

    private CompressedModelTransformer(CompressionCatalog catalog, NetworkGraph network, CompressedNetwork compressed, byte[] onnx,
        EstimatorOptions columns, ModelReport report, PruningReport? pruning, IDataView schemaSource)
    {
        Network = network;
        Compressed = compressed;
        FeatureColumnName = columns.FeatureColumnName;
        Report = report;
        Pruning = pruning;
        _onnx = onnx;
        _scorer = new OnnxScoringPipeline(catalog, onnx, columns, compressed.Graph.ClassCount, schemaSource);
    }

    /// <summary>Exports what a method fitted, measures it against <paramref name="start"/> and wraps it for ML.NET scoring.</summary>
    internal static CompressedModelTransformer Create(CompressionCatalog catalog, NetworkGraph start, FitResult result, EstimatorOptions options,
        IDataView schemaSource, FitContext context)
    {
        CompressedNetwork compressed = result.Compressed;
        var export = new OnnxExportOptions { InputName = options.FeatureColumnName, Method = result.Method, Opset = compressed.MinimumOpset };
        byte[] onnx = OnnxExporter.Export(compressed, export);
        // The reference is the fp32 network the method started from (the trained one when it started untrained).
        NetworkGraph reference = start.HasWeights ? start : result.FloatNetwork;
        long fp32Bytes = compressed.IsFloat && !result.Prunes ? onnx.LongLength
            : OnnxExporter.Export(reference, export with { Method = "fp32", Opset = 13 }).LongLength;
        var report = new ModelReport(compressed, result.Method, onnx.LongLength, context.History, fp32Bytes) { PartialModel = context.PartialModel };
        PruningReport? pruning = result.Prunes ? new PruningReport(reference, compressed.Graph, fp32Bytes, onnx.LongLength, context.Notes) : null;
        return new CompressedModelTransformer(catalog, result.FloatNetwork, compressed, onnx, options, report, pruning, schemaSource);
    }

    /// <summary>
    /// Wraps a trained float network that no Fit produced (an imported ONNX model) for ML.NET scoring: exported in
    /// fp32 with <paramref name="method"/> as its method, reading <paramref name="columns"/>' feature column.
    /// </summary>
    internal static CompressedModelTransformer FromNetwork(CompressionCatalog catalog, NetworkGraph network, EstimatorOptions columns, string method)
    {
        var compressed = new CompressedNetwork(network);
        var export = new OnnxExportOptions { InputName = columns.FeatureColumnName, Method = method, Opset = compressed.MinimumOpset };
        byte[] onnx = OnnxExporter.Export(compressed, export);
        var report = new ModelReport(compressed, method, onnx.LongLength);
        IDataView schema = FeatureSchema.Empty(columns.FeatureColumnName, network.InputSize);
        return new CompressedModelTransformer(catalog, network, compressed, onnx, columns, report, null, schema);
    }

    /// <summary>
    /// The trained network with its float weights (a valid starting point for further compression). For a quantized
    /// model these are the weights before rounding, with BatchNorm not folded; <see cref="Compressed"/> has the rest.
    /// </summary>
    public NetworkGraph Network { get; }

    /// <summary>
    /// The model as exported: its network (BatchNorm folded for int8), how each layer's weights are stored (int8,
    /// 1/2/4-bit levels, or float) and which activations are quantized.
    /// </summary>
    public CompressedNetwork Compressed { get; }

    /// <summary>What structured pruning removed (per-layer widths, parameters, MACs, ONNX bytes before and after); null for a model that was not pruned.</summary>
    public PruningReport? Pruning { get; private set; }

    /// <summary>For the model a <see cref="CompressionPlan"/> produced: what each step did, in order; null otherwise.</summary>
    public PlanReport? Plan { get; private set; }

    /// <summary>Records the plan that produced this model and, if the last step did not prune, what an earlier step pruned.</summary>
    internal void AttachPlan(PlanReport plan, PruningReport? pruning)
    {
        Plan = plan;
        Pruning ??= pruning;
    }

    /// <summary>The input column the model reads.</summary>
    public string FeatureColumnName { get; }

    /// <summary>Parameters, MACs, bytes and per-layer rows of the model, and the training history.</summary>
    public ModelReport Report { get; }

    /// <summary>The exported ONNX model (a copy).</summary>
    public byte[] OnnxModel => (byte[])_onnx.Clone();

    /// <summary>Writes the ONNX model to <paramref name="path"/> (standard ONNX, no side files).</summary>
    public void SaveOnnx(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        File.WriteAllBytes(path, _onnx);
    }

    /// <inheritdoc />
    public bool IsRowToRowMapper => _scorer.Transformer.IsRowToRowMapper;

    /// <inheritdoc />
    /// <exception cref="ArgumentOutOfRangeException">The feature column is missing or is not a vector of Single of the model's input size.</exception>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => _scorer.Transformer.GetOutputSchema(CheckFeatures(inputSchema));

    /// <inheritdoc />
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => _scorer.Transformer.GetRowToRowMapper(CheckFeatures(inputSchema));

    /// <inheritdoc />
    /// <exception cref="ArgumentOutOfRangeException">The feature column is missing or is not a vector of Single of the model's input size.</exception>
    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        CheckFeatures(input.Schema);
        return _scorer.Transformer.Transform(input);
    }

    private DataViewSchema CheckFeatures(DataViewSchema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        FeatureSchema.Check(schema, FeatureColumnName, Compressed.Graph);
        return schema;
    }

    /// <summary>Saves the ML.NET scoring pipeline (ONNX model inside) so <c>mlContext.Model.Load</c> restores it.</summary>
    void ICanSaveModel.Save(ModelSaveContext ctx) => _scorer.Save(ctx);

    /// <inheritdoc />
    public void Dispose() => _scorer.Dispose();
}
