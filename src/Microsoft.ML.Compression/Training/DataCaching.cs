namespace Microsoft.ML.Compression.Training;

/// <summary>Where a Fit keeps the feature rows it reads from the IDataView (once, on first use) while it trains.</summary>
public enum DataCaching
{
    /// <summary>
    /// <see cref="Memory"/> while the rows fit in 512 MiB as floats (rows x features x 4 bytes; a view that does not
    /// know its row count is read into memory until it passes that size), else <see cref="Disk"/>.
    /// </summary>
    Auto,

    /// <summary>Every row in memory as floats (rows x features x 4 bytes). Fastest; needs the memory.</summary>
    Memory,

    /// <summary>
    /// Rows in a temporary file (uint8 per value for rows of whole numbers 0..255, e.g. raw pixels, else float32),
    /// read back batch by batch; the file is deleted when the data is disposed or the process ends. Trains to the same
    /// weights as <see cref="Memory"/>.
    /// </summary>
    Disk,
}
