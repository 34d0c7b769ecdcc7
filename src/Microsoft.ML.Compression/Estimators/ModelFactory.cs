using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.Compression.Analysis;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Onnx;
using Microsoft.ML.Compression.Quantization;
using Microsoft.ML.Compression.Quantization.LowBit;
using Microsoft.ML.Compression.Training;
using Microsoft.ML.Data;

namespace Microsoft.ML.Compression.Estimators;

/// <summary>What every estimator does at the end of Fit: export, measure, wrap for ML.NET scoring; and the output schema.</summary>
internal static class ModelFactory
{
    /// <summary>An fp32 model (<paramref name="method"/> names how it was trained, e.g. "kd" for a distilled one).</summary>
    public static CompressedModelTransformer Create(TransformsCatalog transforms, NetworkGraph trained, string featureColumn,
        IDataView schemaSource, IReadOnlyList<EpochMetrics> history, string method = "fp32")
    {
        byte[] onnx = OnnxExporter.Export(trained, new OnnxExportOptions { InputName = featureColumn, Method = method });
        var report = new ModelReport(trained, method, onnx.LongLength, history);
        return new CompressedModelTransformer(transforms, trained, null, onnx, featureColumn, report, schemaSource);
    }

    /// <summary>
    /// A quantized model: the QDQ export of <paramref name="quantized"/>; <paramref name="floatNetwork"/> (its weights
    /// before rounding, BatchNorm unfolded) is kept as the starting point of further steps.
    /// </summary>
    public static CompressedModelTransformer Create(TransformsCatalog transforms, NetworkGraph floatNetwork, QuantizedNetwork quantized,
        string method, string featureColumn, IDataView schemaSource, IReadOnlyList<EpochMetrics> history)
    {
        var options = new OnnxExportOptions { InputName = featureColumn, Method = method };
        byte[] onnx = OnnxExporter.Export(quantized, options);
        long fp32Bytes = OnnxExporter.Export(floatNetwork, options with { Method = "fp32" }).LongLength;
        var report = new ModelReport(quantized.Graph, method, onnx.LongLength, history, quantized.WeightBitsByLayer, fp32Bytes);
        return new CompressedModelTransformer(transforms, floatNetwork, quantized, onnx, featureColumn, report, schemaSource);
    }

    /// <summary>
    /// A model with 1-, 2- or 4-bit weights: the sub-byte export of <paramref name="lowBit"/>, whose graph (weights at
    /// their decoded values) is kept as the starting point of further steps.
    /// </summary>
    public static CompressedModelTransformer Create(TransformsCatalog transforms, LowBitNetwork lowBit, string method, string featureColumn,
        IDataView schemaSource, IReadOnlyList<EpochMetrics> history)
    {
        var options = new OnnxExportOptions { InputName = featureColumn, Method = method, Opset = LowBitNetworkWriter.MinimumOpset(lowBit.WeightBits) };
        byte[] onnx = OnnxExporter.Export(lowBit, options);
        long fp32Bytes = OnnxExporter.Export(lowBit.Graph, new OnnxExportOptions { InputName = featureColumn }).LongLength;
        var report = new ModelReport(lowBit.Graph, method, onnx.LongLength, history, lowBit.WeightBitsByLayer, fp32Bytes);
        return new CompressedModelTransformer(transforms, lowBit.Graph, null, onnx, featureColumn, report, schemaSource, lowBit);
    }

    /// <summary>The input schema plus Score and PredictedLabel; checks the feature column (and the label column, when given).</summary>
    public static SchemaShape OutputSchema(SchemaShape inputSchema, string featureColumn, string? labelColumn, NetworkGraph network)
    {
        SchemaShape.Column features = inputSchema.FirstOrDefault(c => c.Name == featureColumn);
        if (features.Name is null)
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"The feature column '{featureColumn}' is not in the input schema.");
        if (features.Kind != SchemaShape.Column.VectorKind.Vector || features.ItemType != NumberDataViewType.Single)
            throw new ArgumentOutOfRangeException(nameof(inputSchema),
                $"Feature column '{featureColumn}' must be a known-size vector of Single (float[{network.InputSize}]), but is {features.Kind} of {features.ItemType}.");

        if (labelColumn is not null && !inputSchema.Any(c => c.Name == labelColumn))
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"The label column '{labelColumn}' is not in the input schema.");

        // SchemaShape.Column has no public constructor: describe the added columns through a DataViewSchema.
        var builder = new DataViewSchema.Builder();
        builder.AddColumn(OnnxScoringPipeline.ScoreColumn, new VectorDataViewType(NumberDataViewType.Single, network.ClassCount));
        builder.AddColumn(OnnxScoringPipeline.PredictedLabelColumn, new VectorDataViewType(new KeyDataViewType(typeof(uint), network.ClassCount), 1));
        var added = ShapeOf(builder.ToSchema());
        var columns = inputSchema.Where(c => c.Name is not (OnnxScoringPipeline.ScoreColumn or OnnxScoringPipeline.PredictedLabelColumn))
            .Concat(added);
        return new SchemaShape(columns);
    }

    private static readonly System.Reflection.MethodInfo? CreateShape = typeof(SchemaShape).GetMethod("Create",
        System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Public,
        new[] { typeof(DataViewSchema) });

    // ML.NET 5 exposes no public way to make SchemaShape columns; its own internal factory is the faithful one.
    internal static SchemaShape ShapeOf(DataViewSchema schema) =>
        CreateShape?.Invoke(null, new object[] { schema }) as SchemaShape
        ?? throw new NotSupportedException("This ML.NET version offers no SchemaShape.Create(DataViewSchema).");
}
