namespace Microsoft.ML.Compression.Training.RowStorage;

/// <summary>
/// Rows as floats in chunks of at most <see cref="ChunkValues"/> values: no single array nears .NET's 2 GB limit, a
/// data set may hold more than 2^31 values, and growing never copies what was read (the peak is the data plus at
/// most one chunk).
/// </summary>
internal sealed class MemoryRowStore : RowStore
{
    /// <summary>Values per full chunk (16 MiB of floats), or one row when rows are larger.</summary>
    public const int ChunkValues = 1 << 22;

    private readonly List<float[]> _chunks = new();
    private readonly long? _expectedRows;

    /// <param name="featureSize">Values per row.</param>
    /// <param name="expectedRows">The rows that will be written, when known: the last chunk is then allocated to size.</param>
    public MemoryRowStore(int featureSize, long? expectedRows = null) : base(featureSize)
    {
        RowsPerChunk = RowsPerChunkFor(featureSize);
        _expectedRows = expectedRows;
    }

    /// <summary>Rows in each chunk but the last.</summary>
    public int RowsPerChunk { get; }

    /// <inheritdoc />
    public override bool OnDisk => false;

    /// <summary>Bytes the chunks hold.</summary>
    public long Bytes => _chunks.Sum(c => (long)c.Length) * sizeof(float);

    /// <summary>Rows per chunk for rows of <paramref name="featureSize"/> values.</summary>
    public static int RowsPerChunkFor(int featureSize) => Math.Max(1, ChunkValues / featureSize);

    /// <summary>The chunk holding <paramref name="row"/> and the index of its first value there.</summary>
    public static (int Chunk, int Offset) Locate(int row, int rowsPerChunk, int featureSize) =>
        (row / rowsPerChunk, row % rowsPerChunk * featureSize);

    protected override void AppendCore(ReadOnlySpan<float> row)
    {
        (int chunk, int offset) = Locate(Count, RowsPerChunk, FeatureSize);
        if (chunk == _chunks.Count)
        {
            long left = _expectedRows is long n ? n - (long)chunk * RowsPerChunk : RowsPerChunk;
            int rows = left >= 1 && left < RowsPerChunk ? (int)left : RowsPerChunk;
            _chunks.Add(new float[rows * FeatureSize]);
        }
        float[] target = _chunks[chunk];
        if (offset + FeatureSize > target.Length) // more rows than the view announced
            Array.Resize(ref target, RowsPerChunk * FeatureSize);
        _chunks[chunk] = target;
        row.CopyTo(target.AsSpan(offset, FeatureSize));
    }

    /// <summary>Trims the last chunk to the rows it holds (it may have been allocated whole for an unknown count).</summary>
    public override void Complete()
    {
        if (_chunks.Count == 0) return;
        int used = (Count - (_chunks.Count - 1) * RowsPerChunk) * FeatureSize;
        if (_chunks[^1].Length != used) _chunks[^1] = _chunks[^1][..used];
    }

    protected override void ReadCore(ReadOnlySpan<int> rows, Span<float> destination)
    {
        for (int i = 0; i < rows.Length; i++)
        {
            (int chunk, int offset) = Locate(rows[i], RowsPerChunk, FeatureSize);
            _chunks[chunk].AsSpan(offset, FeatureSize).CopyTo(destination.Slice(i * FeatureSize, FeatureSize));
        }
    }

    protected override void Release() => _chunks.Clear();
}
