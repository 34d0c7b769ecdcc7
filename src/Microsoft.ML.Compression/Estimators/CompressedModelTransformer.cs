using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.ML.Compression.Analysis;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Quantization;
using Microsoft.ML.Compression.Quantization.LowBit;
using Microsoft.ML.Data;

namespace Microsoft.ML.Compression.Estimators;

/// <summary>
/// A trained (and possibly compressed) network, scored by ONNX Runtime through ML.NET's OnnxTransformer.
/// Transform adds <c>Score</c> (float vector of class probabilities, the softmax of the logits) and
/// <c>PredictedLabel</c> (the most probable class as a key with one value per class). ML.NET's OnnxTransformer turns
/// every ONNX tensor into a vector column, so PredictedLabel is a key vector of length 1: bind it as
/// <c>[KeyType(K)] uint[]</c>, whose element 0 is the raw key value, class + 1 (as ML.NET reads every key into
/// typed rows). <c>mlContext.MulticlassClassification.Evaluate</c>
/// works on the output as it is.
/// </summary>
/// <remarks>
/// Saving with <c>mlContext.Model.Save</c> stores the ML.NET scoring pipeline around the ONNX model, so the saved
/// file loads anywhere ML.NET and ONNX Runtime run, without this library. The network (<see cref="Network"/>)
/// is kept so the model can be the starting point of a further compression step.
/// </remarks>
public sealed class CompressedModelTransformer : ITransformer, IDisposable
{
    private readonly OnnxScoringPipeline _scorer;
    private readonly byte[] _onnx;

    internal CompressedModelTransformer(TransformsCatalog transforms, NetworkGraph network, QuantizedNetwork? quantized, byte[] onnxModel,
        string featureColumnName, ModelReport report, IDataView schemaSource, LowBitNetwork? lowBit = null, PruningReport? pruning = null)
    {
        Pruning = pruning;
        Network = network;
        Quantized = quantized;
        LowBit = lowBit;
        FeatureColumnName = featureColumnName;
        Report = report;
        _onnx = onnxModel;
        _scorer = new OnnxScoringPipeline(transforms, onnxModel, featureColumnName, network.ClassCount, schemaSource);
    }

    /// <summary>
    /// The trained network with its float weights (a valid starting point for further compression). For a quantized
    /// model these are the weights before rounding, with BatchNorm not folded; <see cref="Quantized"/> has the rest.
    /// </summary>
    public NetworkGraph Network { get; }

    /// <summary>The int8 model (folded network, activation and weight quantization) for a quantized model; null for a float one.</summary>
    public QuantizedNetwork? Quantized { get; }

    /// <summary>The 1-, 2- or 4-bit model (level codes, channel scales, activation quantization) for a low-bit model; null otherwise.</summary>
    public LowBitNetwork? LowBit { get; }

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
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => _scorer.Transformer.GetOutputSchema(inputSchema);

    /// <inheritdoc />
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => _scorer.Transformer.GetRowToRowMapper(inputSchema);

    /// <inheritdoc />
    public IDataView Transform(IDataView input) => _scorer.Transformer.Transform(input);

    /// <summary>Saves the ML.NET scoring pipeline (ONNX model inside) so <c>mlContext.Model.Load</c> restores it.</summary>
    void ICanSaveModel.Save(ModelSaveContext ctx) => _scorer.Transformer.Save(ctx);

    /// <inheritdoc />
    public void Dispose() => _scorer.Dispose();
}
