namespace Microsoft.ML.Compression.Training.RowStorage;

/// <summary>
/// Sizes of row sets in 64-bit arithmetic: rows x features passes int.MaxValue at about 2.7 million MNIST rows, and
/// the choice of storage must not wrap around there.
/// </summary>
internal static class RowLayout
{
    /// <summary>The most bytes of float rows <see cref="DataCaching.Auto"/> keeps in memory: 512 MiB.</summary>
    public const long AutoMemoryLimitBytes = 512L << 20;

    /// <summary>Values in <paramref name="rows"/> rows of <paramref name="featureSize"/>.</summary>
    public static long Values(long rows, int featureSize) => checked(rows * featureSize);

    /// <summary>Bytes of <paramref name="rows"/> rows as floats.</summary>
    public static long FloatBytes(long rows, int featureSize) => checked(Values(rows, featureSize) * sizeof(float));

    /// <summary>
    /// Whether <paramref name="caching"/> puts rows on disk from the start, given the rows the view says it has
    /// (null: unknown, then Auto starts in memory and spills past the limit).
    /// </summary>
    public static bool StartsOnDisk(DataCaching caching, long? rows, int featureSize) => caching switch
    {
        DataCaching.Disk => true,
        DataCaching.Memory => false,
        _ => rows is long n && FloatBytes(n, featureSize) > AutoMemoryLimitBytes,
    };
}
