using Microsoft.ML.Data;

namespace Microsoft.ML.Compression.Training;

/// <summary>
/// Features and 0-based class labels read once from an IDataView through its cursor. The loop then shuffles row
/// indices each epoch, which is cheaper and more reproducible than re-reading a shuffled view.
/// </summary>
public sealed class LabeledDataset
{
    private LabeledDataset(float[] features, int[] labels, int featureSize)
    {
        Features = features;
        Labels = labels;
        FeatureSize = featureSize;
    }

    /// <summary>Row-major features, <see cref="Count"/> x <see cref="FeatureSize"/>.</summary>
    public float[] Features { get; }

    /// <summary>0-based class index of each row.</summary>
    public int[] Labels { get; }

    /// <summary>Values per row.</summary>
    public int FeatureSize { get; }

    /// <summary>Rows.</summary>
    public int Count => Labels.Length;

    /// <summary>
    /// Reads <paramref name="featureColumn"/> (a known-size float vector of <paramref name="featureSize"/> values) and
    /// <paramref name="labelColumn"/> (a key type, whose raw value k means class k-1, or an unsigned/signed integer
    /// or float holding the 0-based class) and checks every label is below <paramref name="classCount"/>.
    /// </summary>
    public static LabeledDataset Read(IDataView data, string featureColumn, string labelColumn, int featureSize, int classCount, int? maxRows = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(labelColumn);
        return ReadCore(data, featureColumn, labelColumn, featureSize, classCount, maxRows);
    }

    /// <summary>Reads the training data and, if given, the validation data for <paramref name="network"/>.</summary>
    internal static (LabeledDataset Train, LabeledDataset? Validation) ReadTrainAndValidation(IDataView trainData, IDataView? validationData,
        string featureColumn, string labelColumn, Graph.NetworkGraph network)
    {
        ArgumentNullException.ThrowIfNull(trainData);
        var train = Read(trainData, featureColumn, labelColumn, network.InputSize, network.ClassCount);
        var validation = validationData is null ? null : Read(validationData, featureColumn, labelColumn, network.InputSize, network.ClassCount);
        return (train, validation);
    }

    /// <summary>
    /// Reads only <paramref name="featureColumn"/> (e.g. calibration data, which needs no labels); every label is -1.
    /// </summary>
    public static LabeledDataset ReadFeatures(IDataView data, string featureColumn, int featureSize, int? maxRows = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        return ReadCore(data, featureColumn, null, featureSize, 0, maxRows);
    }

    private static LabeledDataset ReadCore(IDataView data, string featureColumn, string? labelColumn, int featureSize, int classCount, int? maxRows)
    {
        DataViewSchema.Column features = SchemaChecks.CheckFeatureColumn(data.Schema, featureColumn, featureSize);
        DataViewSchema.Column? label = labelColumn is null ? null : SchemaChecks.CheckLabelColumn(data.Schema, labelColumn, classCount);

        long? knownRows = data.GetRowCount();
        int capacity = (int)Math.Min(maxRows ?? int.MaxValue, knownRows ?? 1024);
        var x = new List<float>(capacity * featureSize);
        var y = new List<int>(capacity);
        using DataViewRowCursor cursor = data.GetRowCursor(label is { } l ? new[] { features, l } : new[] { features });
        var getFeatures = cursor.GetGetter<VBuffer<float>>(features);
        Func<int> getLabel = label is { } column ? LabelGetter(cursor, column) : () => -1;
        VBuffer<float> buffer = default;
        float[] dense = new float[featureSize];
        while (cursor.MoveNext() && (maxRows is null || y.Count < maxRows))
        {
            int cls = getLabel();
            if (label is { } checkedLabel && (cls < 0 || cls >= classCount))
                throw new ArgumentOutOfRangeException(nameof(data),
                    $"Row {cursor.Position} of column '{labelColumn}' holds class {cls}, but the network has {classCount} classes (expected 0..{classCount - 1}{(checkedLabel.Type is KeyDataViewType ? ", i.e. key values 1.." + classCount : "")}).");
            getFeatures(ref buffer);
            buffer.CopyTo(dense);
            x.AddRange(dense);
            y.Add(cls);
        }
        if (y.Count == 0)
            throw new ArgumentException(label is null
                ? $"The data has no rows; at least one row of '{featureColumn}' is needed."
                : $"The data has no rows; training needs at least one labeled example in '{featureColumn}'/'{labelColumn}'.", nameof(data));
        return new LabeledDataset(x.ToArray(), y.ToArray(), featureSize);
    }

    private static Func<int> LabelGetter(DataViewRowCursor cursor, DataViewSchema.Column label)
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
            return v == MathF.Floor(v) && v >= 0 && v < int.MaxValue ? (int)v : -1;
        };
    }
}
