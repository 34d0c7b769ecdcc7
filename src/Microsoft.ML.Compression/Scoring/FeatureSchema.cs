using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Data;

namespace Microsoft.ML.Compression.Scoring;

/// <summary>The feature column a fitted model reads: checked when it scores, and an empty view with it for building the scorer.</summary>
internal static class FeatureSchema
{
    /// <summary>
    /// Throws when <paramref name="schema"/> lacks <paramref name="column"/> or it is not a vector of Single with
    /// <paramref name="size"/> values (a vector of unknown size passes: ONNX Runtime checks each row).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The message names the column and the expected vector.</exception>
    public static void Check(DataViewSchema schema, string column, int size) => CheckCore(schema, column, size);

    /// <summary>
    /// <see cref="Check(DataViewSchema, string, int)"/> for <paramref name="network"/>'s input, and for an image input
    /// also the pixel layout the column's dimensions state (see <see cref="ImageInput.CheckColumn"/>).
    /// </summary>
    public static void Check(DataViewSchema schema, string column, NetworkGraph network)
    {
        VectorDataViewType vector = CheckCore(schema, column, network.InputSize);
        ImageInput.Of(network)?.CheckColumn(column, vector);
    }

    /// <summary>Only the pixel-layout part of <see cref="Check(DataViewSchema, string, NetworkGraph)"/>, for a column that is there and a vector (other faults are reported by whoever reads it).</summary>
    public static void CheckLayout(DataViewSchema schema, string column, NetworkGraph network)
    {
        if (schema.GetColumnOrNull(column) is { Type: VectorDataViewType vector })
            ImageInput.Of(network)?.CheckColumn(column, vector);
    }

    private static VectorDataViewType CheckCore(DataViewSchema schema, string column, int size)
    {
        string expected = $"The model reads the feature column '{column}' as a vector of {size} Single values (float[{size}], the flattened input in the model's layout)";
        DataViewSchema.Column? found = schema.GetColumnOrNull(column);
        if (found is null)
            throw new ArgumentOutOfRangeException(nameof(schema),
                $"{expected}, but the input has no column '{column}'; columns present: {string.Join(", ", schema.Where(c => !c.IsHidden).Select(c => $"'{c.Name}'"))}.");
        if (found.Value.Type is not VectorDataViewType vector || vector.ItemType != NumberDataViewType.Single)
            throw new ArgumentOutOfRangeException(nameof(schema), $"{expected}, but '{column}' is {found.Value.Type}.");
        if (vector.Size != 0 && vector.Size != size)
            throw new ArgumentOutOfRangeException(nameof(schema), $"{expected}, but '{column}' holds {vector.Size} values.");
        return vector;
    }

    /// <summary>An empty view with one column <paramref name="column"/> of <paramref name="size"/> Singles.</summary>
    public static IDataView Empty(string column, int size)
    {
        SchemaDefinition definition = SchemaDefinition.Create(typeof(Row));
        SchemaDefinition.Column features = definition[nameof(Row.Features)];
        features.ColumnName = column;
        features.ColumnType = new VectorDataViewType(NumberDataViewType.Single, size);
        return new MLContext().Data.LoadFromEnumerable(Array.Empty<Row>(), definition);
    }

    private sealed class Row
    {
        public float[] Features { get; set; } = Array.Empty<float>();
    }
}
