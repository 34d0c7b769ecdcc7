using Microsoft.ML.Compression.Training.RowStorage;
using Microsoft.ML.Data;

namespace Microsoft.ML.Compression.Training;

/// <summary>
/// Features and 0-based class labels read once from an IDataView through its cursor. The loop then shuffles row
/// indices each epoch, which is cheaper and more reproducible than re-reading a shuffled view. The rows live in memory
/// or in a temporary file (see <see cref="DataCaching"/>); labels are always in memory. Dispose it to delete the file.
/// </summary>
public sealed class LabeledDataset : IDisposable
{
    private readonly RowStore _rows;

    private LabeledDataset(RowStore rows, int[] labels, float largestMagnitude)
    {
        _rows = rows;
        Labels = labels;
        LargestMagnitude = largestMagnitude;
    }

    /// <summary>The largest |value| among all features (seen once while reading).</summary>
    internal float LargestMagnitude { get; }

    /// <summary>
    /// For a divergence message: when the features reach far beyond the few units a network expects (e.g. raw
    /// 0..255 pixels), a sentence saying so; otherwise empty.
    /// </summary>
    internal string UnscaledHint() => LargestMagnitude > 10
        ? $" The features reach {LargestMagnitude.ToString("G4", System.Globalization.CultureInfo.InvariantCulture)}: check the data for extreme values, and scale the features (e.g. pixels / 255 or NormalizeMeanVariance) if they are not normalized."
        : "";

    /// <summary>0-based class index of each row (-1 for data read without labels).</summary>
    public int[] Labels { get; }

    /// <summary>Values per row.</summary>
    public int FeatureSize => _rows.FeatureSize;

    /// <summary>Rows.</summary>
    public int Count => Labels.Length;

    /// <summary>Where the rows are: <see cref="DataCaching.Memory"/> or <see cref="DataCaching.Disk"/>.</summary>
    public DataCaching Storage => _rows.OnDisk ? DataCaching.Disk : DataCaching.Memory;

    /// <summary>
    /// Copies the features of <paramref name="rows"/> into <paramref name="destination"/>, row i at
    /// i x <see cref="FeatureSize"/>. Safe to call from several threads at once.
    /// </summary>
    public void ReadRows(ReadOnlySpan<int> rows, Span<float> destination) => _rows.Read(rows, destination);

    /// <summary>The features of <paramref name="count"/> consecutive rows from <paramref name="start"/>, row-major.</summary>
    public float[] ReadRows(int start, int count)
    {
        if (start < 0 || count < 0 || start > Count - count)
            throw new ArgumentOutOfRangeException(nameof(count), $"Rows {start}..{start + count - 1} are not all among the {Count} rows.");
        var values = new float[RowLayout.Values(count, FeatureSize)];
        int[] rows = new int[count];
        for (int i = 0; i < count; i++) rows[i] = start + i;
        ReadRows(rows, values);
        return values;
    }

    /// <summary>Deletes the rows' file (disk storage) or lets go of the arrays.</summary>
    public void Dispose() => _rows.Dispose();

    /// <summary>
    /// Reads <paramref name="featureColumn"/> (a known-size float vector of <paramref name="featureSize"/> values) and
    /// <paramref name="labelColumn"/> (a key type, whose raw value k means class k-1, or an unsigned/signed integer
    /// or float holding the 0-based class) and checks every label is below <paramref name="classCount"/>; the rows are
    /// kept as <paramref name="caching"/> says.
    /// </summary>
    public static LabeledDataset Read(IDataView data, string featureColumn, string labelColumn, int featureSize, int classCount, int? maxRows = null,
        DataCaching caching = DataCaching.Auto)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(labelColumn);
        return ReadCore(data, featureColumn, labelColumn, featureSize, classCount, maxRows, caching);
    }

    /// <summary>As <see cref="Read"/>, for validation data: its messages name the validation data.</summary>
    internal static LabeledDataset ReadValidation(IDataView data, string featureColumn, string labelColumn, int featureSize, int classCount,
        DataCaching caching = DataCaching.Auto)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(labelColumn);
        return ReadCore(data, featureColumn, labelColumn, featureSize, classCount, null, caching, "validation data");
    }

    /// <summary>Reads the training data and, if given, the validation data for <paramref name="network"/>.</summary>
    internal static (LabeledDataset Train, LabeledDataset? Validation) ReadTrainAndValidation(IDataView trainData, IDataView? validationData,
        string featureColumn, string labelColumn, Graph.NetworkGraph network, DataCaching caching = DataCaching.Auto)
    {
        ArgumentNullException.ThrowIfNull(trainData);
        var train = Read(trainData, featureColumn, labelColumn, network.InputSize, network.ClassCount, caching: caching);
        LabeledDataset? validation = null;
        try
        {
            validation = validationData is null ? null
                : ReadValidation(validationData, featureColumn, labelColumn, network.InputSize, network.ClassCount, caching);
        }
        catch
        {
            train.Dispose();
            throw;
        }
        return (train, validation);
    }

    /// <summary>
    /// Reads only <paramref name="featureColumn"/> (e.g. calibration data, which needs no labels); every label is -1.
    /// </summary>
    public static LabeledDataset ReadFeatures(IDataView data, string featureColumn, int featureSize, int? maxRows = null, DataCaching caching = DataCaching.Auto)
    {
        ArgumentNullException.ThrowIfNull(data);
        return ReadCore(data, featureColumn, null, featureSize, 0, maxRows, caching);
    }

    private static LabeledDataset ReadCore(IDataView data, string featureColumn, string? labelColumn, int featureSize, int classCount, int? maxRows,
        DataCaching caching, string role = "data")
    {
        if (!Enum.IsDefined(caching)) throw new ArgumentOutOfRangeException(nameof(caching), caching, "Unknown data caching.");
        DataViewSchema.Column features = SchemaChecks.CheckFeatureColumn(data.Schema, featureColumn, featureSize);
        DataViewSchema.Column? label = labelColumn is null ? null : SchemaChecks.CheckLabelColumn(data.Schema, labelColumn, classCount);

        long? knownRows = data.GetRowCount() is long n ? Math.Min(n, maxRows ?? long.MaxValue) : maxRows;
        RowStore rows = RowLayout.StartsOnDisk(caching, knownRows, featureSize) ? new DiskRowStore(featureSize) : new MemoryRowStore(featureSize, knownRows);
        try
        {
            var y = new List<int>((int)Math.Min(knownRows ?? 1024, 1 << 20));
            using DataViewRowCursor cursor = data.GetRowCursor(label is { } l ? new[] { features, l } : new[] { features });
            var getFeatures = cursor.GetGetter<VBuffer<float>>(features);
            Func<int> getLabel = label is { } column ? LabelGetter(cursor, column, classCount) : () => -1;
            VBuffer<float> buffer = default;
            float[] dense = new float[featureSize];
            float largest = 0;
            while (cursor.MoveNext() && (maxRows is null || y.Count < maxRows))
            {
                int cls = getLabel();
                if (label is { } checkedLabel && (cls < 0 || cls >= classCount))
                    throw new ArgumentOutOfRangeException(nameof(data),
                        $"Row {cursor.Position} of column '{labelColumn}' holds class {cls}, but the network has {classCount} classes (expected 0..{classCount - 1}{(checkedLabel.Type is KeyDataViewType ? ", i.e. key values 1.." + classCount : "")}).");
                getFeatures(ref buffer);
                buffer.CopyTo(dense);
                largest = Math.Max(largest, CheckFinite(dense, featureColumn, cursor.Position, role));
                rows.Append(dense);
                y.Add(cls);
                // Auto with a view that did not say how many rows it has: past the limit, move to disk.
                if (caching == DataCaching.Auto && rows is MemoryRowStore memory && memory.Bytes > RowLayout.AutoMemoryLimitBytes)
                    rows = Spill(memory);
            }
            if (y.Count == 0)
                throw new ArgumentException(label is null
                    ? $"The {role} has no rows; at least one row of '{featureColumn}' is needed."
                    : role == "data"
                        ? $"The data has no rows; training needs at least one labeled example in '{featureColumn}'/'{labelColumn}'."
                        : $"The {role} has no rows; leave it out (null) or give at least one labeled example in '{featureColumn}'/'{labelColumn}'.",
                    nameof(data));
            rows.Complete();
            return new LabeledDataset(rows, y.ToArray(), largest);
        }
        catch
        {
            rows.Dispose();
            throw;
        }
    }

    // Copies the rows read so far into a file and frees the memory.
    private static DiskRowStore Spill(MemoryRowStore memory)
    {
        var disk = new DiskRowStore(memory.FeatureSize);
        try
        {
            memory.Complete();
            float[] row = new float[memory.FeatureSize];
            int[] index = new int[1];
            for (index[0] = 0; index[0] < memory.Count; index[0]++)
            {
                memory.Read(index, row);
                disk.Append(row);
            }
        }
        catch
        {
            disk.Dispose();
            throw;
        }
        memory.Dispose();
        return disk;
    }

    // NaN or an infinity in the features would turn the loss into NaN many steps later; name the row now instead.
    // Returns the row's largest |value|.
    private static float CheckFinite(float[] row, string featureColumn, long position, string role)
    {
        float largest = 0;
        for (int i = 0; i < row.Length; i++)
        {
            largest = Math.Max(largest, Math.Abs(row[i]));
            if (!float.IsFinite(row[i]))
                throw new ArgumentOutOfRangeException(nameof(row),
                    $"Row {position} of column '{featureColumn}' in the {role} holds {row[i].ToString(System.Globalization.CultureInfo.InvariantCulture)} at index {i}; every feature value must be a finite number (not NaN or an infinity).");
        }
        return largest;
    }

    private static Func<int> LabelGetter(DataViewRowCursor cursor, DataViewSchema.Column label, int classCount)
    {
        DataViewType type = label.Type;
        if (type is KeyDataViewType key)
        {
            // Key raw value 0 means "missing": map it to -1 so the range check reports it.
            if (key.RawType == typeof(uint)) { var g = cursor.GetGetter<uint>(label); return () => { uint v = 0; g(ref v); return (int)v - 1; }; }
            if (key.RawType == typeof(ushort)) { var g = cursor.GetGetter<ushort>(label); return () => { ushort v = 0; g(ref v); return v - 1; }; }
            if (key.RawType == typeof(byte)) { var g = cursor.GetGetter<byte>(label); return () => { byte v = 0; g(ref v); return v - 1; }; }
            var g64 = cursor.GetGetter<ulong>(label); return () => { ulong v = 0; g64(ref v); return (int)Math.Min(v, int.MaxValue) - 1; };
        }
        if (type.RawType == typeof(uint)) { var g = cursor.GetGetter<uint>(label); return () => { uint v = 0; g(ref v); return (int)Math.Min(v, int.MaxValue); }; }
        if (type.RawType == typeof(int)) { var g = cursor.GetGetter<int>(label); return () => { int v = 0; g(ref v); return v; }; }
        if (type.RawType == typeof(long)) { var g = cursor.GetGetter<long>(label); return () => { long v = 0; g(ref v); return (int)Math.Clamp(v, -1, int.MaxValue); }; }
        if (type.RawType == typeof(byte)) { var g = cursor.GetGetter<byte>(label); return () => { byte v = 0; g(ref v); return v; }; }
        var gf = cursor.GetGetter<float>(label);
        return () =>
        {
            float v = 0; gf(ref v);
            if (v != MathF.Floor(v) || !float.IsFinite(v))
                throw new ArgumentOutOfRangeException(nameof(label),
                    $"Row {cursor.Position} of column '{label.Name}' holds {v.ToString(System.Globalization.CultureInfo.InvariantCulture)}, which is not an integer class index (expected a whole number 0..{classCount - 1}).");
            return v > int.MinValue && v < int.MaxValue ? (int)v : -1;
        };
    }
}
