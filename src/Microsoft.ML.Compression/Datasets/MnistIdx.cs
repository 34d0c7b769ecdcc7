using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;
using Microsoft.ML;

namespace Microsoft.ML.Compression.Datasets;

/// <summary>
/// Reads MNIST in its original IDX format: an image file (<c>idx3-ubyte</c>: big-endian magic 0x00000803, count, rows,
/// cols, then one unsigned byte per pixel, row-major) and a label file (<c>idx1-ubyte</c>: magic 0x00000801, count,
/// then one byte per label). Gzip-compressed copies (<c>.gz</c>) are read as well.
/// </summary>
public static class MnistIdx
{
    /// <summary>Magic number of an IDX file of unsigned bytes with three dimensions (images).</summary>
    public const int ImagesMagic = 0x00000803;

    /// <summary>Magic number of an IDX file of unsigned bytes with one dimension (labels).</summary>
    public const int LabelsMagic = 0x00000801;

    /// <summary>Number of digit classes.</summary>
    public const int ClassCount = 10;

    /// <summary>Class names "0" to "9", indexed by digit; used as the key values of the <c>Label</c> column.</summary>
    public static IReadOnlyList<string> ClassNames { get; } = new[] { "0", "1", "2", "3", "4", "5", "6", "7", "8", "9" };

    /// <summary>The four file names expected in an MNIST folder (without <c>.gz</c>).</summary>
    public static IReadOnlyList<string> FileNames { get; } = new[]
    {
        "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
    };

    /// <summary>
    /// Loads one split of MNIST from <paramref name="directory"/> as an <see cref="IDataView"/> with columns
    /// <c>Features</c> (float vector of 784 = 28 x 28, known size, pixel / 255, row-major) and <c>Label</c>
    /// (<see cref="Microsoft.ML.Data.KeyDataViewType"/> over <see cref="uint"/> with count 10; raw value = digit + 1,
    /// key values "0" to "9"). Rows keep the file order.
    /// </summary>
    /// <param name="ml">The ML.NET context.</param>
    /// <param name="directory">Folder holding <c>{train,t10k}-{images-idx3,labels-idx1}-ubyte</c> (or their <c>.gz</c> copies).</param>
    /// <param name="split">Training (60,000 rows) or test (10,000 rows) files.</param>
    /// <param name="maxRows">When set, only the first <paramref name="maxRows"/> images are read.</param>
    public static IDataView Load(MLContext ml, string directory, MnistSplit split, int? maxRows = null)
    {
        ArgumentNullException.ThrowIfNull(ml);
        return Read(directory, split, maxRows).ToDataView();
    }

    /// <summary>Reads one split of MNIST from <paramref name="directory"/> into flat arrays; see <see cref="Load"/>.</summary>
    /// <param name="directory">Folder holding the IDX files.</param>
    /// <param name="split">Training or test files.</param>
    /// <param name="maxRows">When set, only the first <paramref name="maxRows"/> images are read.</param>
    public static LabeledImages Read(string directory, MnistSplit split, int? maxRows = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException($"MNIST folder '{directory}' does not exist.");
        string prefix = split switch
        {
            MnistSplit.Train => "train",
            MnistSplit.Test => "t10k",
            _ => throw new ArgumentOutOfRangeException(nameof(split), split, "Unknown MNIST split."),
        };
        return Read(FindFile(directory, prefix + "-images-idx3-ubyte"), FindFile(directory, prefix + "-labels-idx1-ubyte"), maxRows);
    }

    /// <summary>
    /// Reads an IDX image file and its label file into flat arrays: features scaled to [0, 1] (pixel / 255,
    /// row-major per image) and 0-based labels (the digits). Magic numbers, sizes, labels (0 to 9) and the agreement of
    /// the two counts are checked; errors name the offending file.
    /// </summary>
    /// <param name="imagesPath">IDX3 image file, optionally gzip-compressed (<c>.gz</c>).</param>
    /// <param name="labelsPath">IDX1 label file, optionally gzip-compressed (<c>.gz</c>).</param>
    /// <param name="maxRows">When set, only the first <paramref name="maxRows"/> images and labels are read.</param>
    /// <exception cref="InvalidDataException">A file is malformed, truncated, or the two files disagree.</exception>
    public static LabeledImages Read(string imagesPath, string labelsPath, int? maxRows = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(imagesPath);
        ArgumentException.ThrowIfNullOrWhiteSpace(labelsPath);
        if (maxRows is int m)
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(m, nameof(maxRows));

        using Stream images = OpenIdx(imagesPath);
        using Stream labels = OpenIdx(labelsPath);

        int imageMagic = ReadInt32(images, imagesPath);
        if (imageMagic != ImagesMagic)
            throw new InvalidDataException($"'{imagesPath}' is not an IDX image file: magic number 0x{imageMagic:X8}, expected 0x{ImagesMagic:X8}.");
        int imageCount = ReadInt32(images, imagesPath);
        int rows = ReadInt32(images, imagesPath);
        int cols = ReadInt32(images, imagesPath);
        if (imageCount < 0 || rows <= 0 || cols <= 0)
            throw new InvalidDataException($"'{imagesPath}' has an invalid header: {imageCount} images of {rows} x {cols}.");

        int labelMagic = ReadInt32(labels, labelsPath);
        if (labelMagic != LabelsMagic)
            throw new InvalidDataException($"'{labelsPath}' is not an IDX label file: magic number 0x{labelMagic:X8}, expected 0x{LabelsMagic:X8}.");
        int labelCount = ReadInt32(labels, labelsPath);
        if (labelCount < 0)
            throw new InvalidDataException($"'{labelsPath}' has an invalid header: {labelCount} labels.");

        if (imageCount != labelCount)
            throw new InvalidDataException($"'{imagesPath}' holds {imageCount} images but '{labelsPath}' holds {labelCount} labels.");

        long imageSize = (long)rows * cols;
        CheckLength(images, imagesPath, 16 + imageCount * imageSize);
        CheckLength(labels, labelsPath, 8 + (long)labelCount);

        int count = maxRows is int limit ? Math.Min(limit, imageCount) : imageCount;
        if (count * imageSize > Array.MaxLength)
            throw new InvalidDataException($"'{imagesPath}': {count} images of {rows} x {cols} do not fit in one array; pass a smaller maxRows.");

        var labelBytes = new byte[count];
        ReadExactly(labels, labelBytes, labelsPath);
        var labelValues = new uint[count];
        for (int i = 0; i < count; i++)
        {
            if (labelBytes[i] >= ClassCount)
                throw new InvalidDataException($"'{labelsPath}': label {labelBytes[i]} of item {i} is not a digit 0-9.");
            labelValues[i] = labelBytes[i];
        }

        var features = new float[count * imageSize];
        var table = ScaleTable;
        // Convert in chunks so a 47 MB image file never needs a second full-size byte buffer.
        var chunk = new byte[(int)Math.Min(features.Length, 1 << 20)];
        for (long done = 0; done < features.LongLength;)
        {
            int n = (int)Math.Min(chunk.Length, features.LongLength - done);
            ReadExactly(images, chunk.AsSpan(0, n), imagesPath);
            Span<float> dst = features.AsSpan((int)done, n);
            for (int i = 0; i < n; i++)
                dst[i] = table[chunk[i]];
            done += n;
        }

        return new LabeledImages(features, labelValues, count, rows, cols, ClassNames);
    }

    /// <summary>pixel / 255 for every byte value, so the scaling is exact and identical everywhere.</summary>
    internal static float[] ScaleTable { get; } = BuildScaleTable();

    private static float[] BuildScaleTable()
    {
        var t = new float[256];
        for (int i = 0; i < t.Length; i++)
            t[i] = i / 255f;
        return t;
    }

    private static string FindFile(string directory, string name)
    {
        string plain = Path.Combine(directory, name);
        if (File.Exists(plain))
            return plain;
        string gz = plain + ".gz";
        if (File.Exists(gz))
            return gz;
        throw new FileNotFoundException($"MNIST file '{name}' (or '{name}.gz') not found in '{directory}'.", plain);
    }

    private static Stream OpenIdx(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"IDX file '{path}' not found.", path);
        Stream file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        return path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : file;
    }

    // Only uncompressed files know their length up front; truncated .gz files are caught while reading.
    private static void CheckLength(Stream stream, string path, long expected)
    {
        if (stream is FileStream fs && fs.Length != expected)
            throw new InvalidDataException($"'{path}' is {fs.Length} bytes but its header implies {expected}.");
    }

    private static int ReadInt32(Stream stream, string path)
    {
        Span<byte> buffer = stackalloc byte[4];
        ReadExactly(stream, buffer, path);
        return BinaryPrimitives.ReadInt32BigEndian(buffer);
    }

    private static void ReadExactly(Stream stream, Span<byte> buffer, string path)
    {
        try
        {
            stream.ReadExactly(buffer);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"'{path}' ends before the data its header describes.", e);
        }
    }
}
