using Microsoft.ML.Compression.Estimators;
using Microsoft.ML.Data;

namespace Microsoft.ML.Compression.Scoring;

/// <summary>
/// The output schema of a fitted model, known before Fit: the input columns plus Score (vector of Single, one slot per
/// class) and PredictedLabel (key with one value per class), with the annotations ML.NET's multiclass scorer gives
/// them (class names when the label column has them). Annotation names are ML.NET's (its AnnotationUtils is internal).
/// </summary>
internal static class ScoringSchema
{
    /// <summary>Checks the columns <paramref name="options"/> reads and returns the schema after scoring.</summary>
    public static SchemaShape Output(SchemaShape inputSchema, EstimatorOptions options, int inputSize, int classCount, bool readsLabels)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        string feature = options.FeatureColumnName;
        SchemaShape.Column features = inputSchema.FirstOrDefault(c => c.Name == feature);
        if (features.Name is null)
            throw new ArgumentOutOfRangeException(nameof(inputSchema),
                $"The feature column '{feature}' is not in the input schema; columns present: {Present(inputSchema)}.");
        if (features.Kind != SchemaShape.Column.VectorKind.Vector || features.ItemType != NumberDataViewType.Single)
            throw new ArgumentOutOfRangeException(nameof(inputSchema),
                $"Feature column '{feature}' must be a known-size vector of Single (float[{inputSize}]), but is {features.Kind} of {features.ItemType}.");
        SchemaShape.Column label = inputSchema.FirstOrDefault(c => c.Name == options.LabelColumnName);
        bool hasLabel = label.Name is not null;
        if (readsLabels && !hasLabel)
            throw new ArgumentOutOfRangeException(nameof(inputSchema),
                $"The label column '{options.LabelColumnName}' is not in the input schema; columns present: {Present(inputSchema)}.");

        // The scorer names the classes when the label is a key with text values (SchemaShape carries no key counts;
        // Fit refuses a label key with more values than the network has classes).
        bool named = hasLabel && label.IsKey && label.Annotations.Any(a =>
            a.Name == "KeyValues" && a.Kind == SchemaShape.Column.VectorKind.Vector && a.ItemType is TextDataViewType);
        var names = new VectorDataViewType(TextDataViewType.Instance, classCount);
        var setId = new KeyDataViewType(typeof(uint), int.MaxValue - 1);

        var score = new DataViewSchema.Annotations.Builder();
        score.Add("ScoreColumnKind", TextDataViewType.Instance, (ref ReadOnlyMemory<char> v) => v = "MulticlassClassification".AsMemory());
        score.Add("ScoreColumnSetId", setId, (ref uint v) => v = 1);
        score.Add("ScoreValueKind", TextDataViewType.Instance, (ref ReadOnlyMemory<char> v) => v = "Score".AsMemory());
        var predicted = new DataViewSchema.Annotations.Builder();
        predicted.Add("ScoreColumnKind", TextDataViewType.Instance, (ref ReadOnlyMemory<char> v) => v = "MulticlassClassification".AsMemory());
        predicted.Add("ScoreValueKind", TextDataViewType.Instance, (ref ReadOnlyMemory<char> v) => v = "PredictedLabel".AsMemory());
        predicted.Add("ScoreColumnSetId", setId, (ref uint v) => v = 1);
        if (named)
        {
            score.Add("TrainingLabelValues", names, (ref VBuffer<ReadOnlyMemory<char>> v) => v = default);
            score.Add("SlotNames", names, (ref VBuffer<ReadOnlyMemory<char>> v) => v = default);
            predicted.Add("KeyValues", names, (ref VBuffer<ReadOnlyMemory<char>> v) => v = default);
        }

        var builder = new DataViewSchema.Builder();
        builder.AddColumn(options.ScoreColumnName, new VectorDataViewType(NumberDataViewType.Single, classCount), score.ToAnnotations());
        builder.AddColumn(options.PredictedLabelColumnName, new KeyDataViewType(typeof(uint), classCount), predicted.ToAnnotations());
        SchemaShape added = MlNetInternals.ShapeOf(builder.ToSchema());
        var columns = inputSchema.Where(c => c.Name != options.ScoreColumnName && c.Name != options.PredictedLabelColumnName).Concat(added);
        return new SchemaShape(columns);
    }

    private static string Present(SchemaShape schema) => string.Join(", ", schema.Select(c => $"'{c.Name}'"));
}
