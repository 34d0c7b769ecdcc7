using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.Compression.Analysis;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Onnx;
using Microsoft.ML.Compression.Training;
using Microsoft.ML.Data;

namespace Microsoft.ML.Compression.Estimators;

/// <summary>What every estimator does at the end of Fit: export, measure, wrap for ML.NET scoring; and the output schema.</summary>
internal static class ModelFactory
{
    public static CompressedModelTransformer Create(TransformsCatalog transforms, NetworkGraph trained, string method, string featureColumn,
        IDataView schemaSource, IReadOnlyList<EpochMetrics> history, IReadOnlyDictionary<string, int>? weightBits = null)
    {
        byte[] onnx = OnnxExporter.Export(trained, new OnnxExportOptions { InputName = featureColumn, Method = method });
        var report = new ModelReport(trained, method, onnx.LongLength, history, weightBits);
        return new CompressedModelTransformer(transforms, trained, onnx, featureColumn, report, schemaSource);
    }

    public static SchemaShape OutputSchema(SchemaShape inputSchema, string featureColumn, string labelColumn, NetworkGraph network)
    {
        SchemaShape.Column features = inputSchema.FirstOrDefault(c => c.Name == featureColumn);
        if (features.Name is null)
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"The feature column '{featureColumn}' is not in the input schema.");
        if (features.Kind != SchemaShape.Column.VectorKind.Vector || features.ItemType != NumberDataViewType.Single)
            throw new ArgumentOutOfRangeException(nameof(inputSchema),
                $"Feature column '{featureColumn}' must be a known-size vector of Single (float[{network.InputSize}]), but is {features.Kind} of {features.ItemType}.");

        if (!inputSchema.Any(c => c.Name == labelColumn))
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
