namespace Microsoft.ML.Compression.Training.RowStorage;

/// <summary>
/// Fixed-size float rows written once, in order, then read back by index: the storage behind
/// <see cref="LabeledDataset"/>, in memory or in a file.
/// </summary>
internal abstract class RowStore : IDisposable
{
    private bool _disposed;

    protected RowStore(int featureSize)
    {
        if (featureSize < 1) throw new ArgumentOutOfRangeException(nameof(featureSize), featureSize, "Rows need at least one value.");
        FeatureSize = featureSize;
    }

    /// <summary>Values per row.</summary>
    public int FeatureSize { get; }

    /// <summary>Rows written so far.</summary>
    public int Count { get; private set; }

    /// <summary>True when the rows live in a file.</summary>
    public abstract bool OnDisk { get; }

    /// <summary>Adds a row of <see cref="FeatureSize"/> values.</summary>
    public void Append(ReadOnlySpan<float> row)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (row.Length != FeatureSize) throw new ArgumentException($"A row has {FeatureSize} values, got {row.Length}.", nameof(row));
        if (Count == int.MaxValue) throw new InvalidOperationException($"A data set holds at most {int.MaxValue} rows.");
        AppendCore(row);
        Count++;
    }

    /// <summary>Ends writing (flushes, trims); rows can be read afterwards.</summary>
    public abstract void Complete();

    /// <summary>
    /// Copies the rows <paramref name="rows"/> into <paramref name="destination"/>, row i at i x <see cref="FeatureSize"/>.
    /// Safe to call from several threads at once.
    /// </summary>
    public void Read(ReadOnlySpan<int> rows, Span<float> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (destination.Length < RowLayout.Values(rows.Length, FeatureSize))
            throw new ArgumentException($"{rows.Length} rows need {RowLayout.Values(rows.Length, FeatureSize)} values, the destination holds {destination.Length}.", nameof(destination));
        foreach (int row in rows)
            if ((uint)row >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(rows), row, $"Row index out of range (0..{Count - 1}).");
        ReadCore(rows, destination);
    }

    protected abstract void AppendCore(ReadOnlySpan<float> row);

    protected abstract void ReadCore(ReadOnlySpan<int> rows, Span<float> destination);

    /// <summary>Lets go of the rows (deletes the file); reading afterwards throws.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Release();
    }

    /// <summary>Frees what holds the rows.</summary>
    protected abstract void Release();
}
