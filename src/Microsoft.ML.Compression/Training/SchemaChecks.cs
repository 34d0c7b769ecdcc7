using Microsoft.ML.Data;

namespace Microsoft.ML.Compression.Training;

/// <summary>Schema validation with messages that name the column, the expected and the actual type.</summary>
internal static class SchemaChecks
{
    private static readonly Type[] LabelRawTypes = { typeof(uint), typeof(int), typeof(long), typeof(byte), typeof(float) };

    public static DataViewSchema.Column CheckFeatureColumn(DataViewSchema schema, string name, int size)
    {
        DataViewSchema.Column column = Find(schema, name, "feature");
        if (column.Type is not VectorDataViewType vector || vector.ItemType != NumberDataViewType.Single)
            throw new ArgumentOutOfRangeException(nameof(schema),
                $"Feature column '{name}' must be a vector of Single (float[{size}]), but is {column.Type}.");
        if (vector.Size != size)
            throw new ArgumentOutOfRangeException(nameof(schema),
                vector.Size == 0
                    ? $"Feature column '{name}' must have a known size of {size} (the network's C*H*W input), but its size is variable."
                    : $"Feature column '{name}' has {vector.Size} values per row, but the network expects {size} (its C*H*W input).");
        return column;
    }

    public static DataViewSchema.Column CheckLabelColumn(DataViewSchema schema, string name, int classCount)
    {
        DataViewSchema.Column column = Find(schema, name, "label");
        if (column.Type is KeyDataViewType key)
        {
            if (key.Count != 0 && key.Count > (ulong)classCount)
                throw new ArgumentOutOfRangeException(nameof(schema),
                    $"Label column '{name}' is a key type with {key.Count} values, but the network has {classCount} output classes.");
            return column;
        }
        if (!LabelRawTypes.Contains(column.Type.RawType) || column.Type is VectorDataViewType)
            throw new ArgumentOutOfRangeException(nameof(schema),
                $"Label column '{name}' must be a key type or an integer (UInt32, Int32, Int64, Byte) or Single class index, but is {column.Type}.");
        return column;
    }

    private static DataViewSchema.Column Find(DataViewSchema schema, string name, string role)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        DataViewSchema.Column? column = schema.GetColumnOrNull(name);
        if (column is null)
            throw new ArgumentOutOfRangeException(nameof(schema),
                $"The {role} column '{name}' is not in the data; columns present: {string.Join(", ", schema.Where(c => !c.IsHidden).Select(c => $"'{c.Name}'"))}.");
        return column.Value;
    }
}
