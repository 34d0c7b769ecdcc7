using System.IO;
using Microsoft.ML.Compression.Datasets;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Data;

namespace Microsoft.ML.Compression.Cli.Data;

/// <summary>
/// Loads the images a verb works on, from a folder of image files (one subfolder per class, or files directly in it)
/// or from an IDX images file (with an optional IDX labels file), into the features a model reads.
/// </summary>
public static class ImageLoader
{
    /// <summary>
    /// Loads <paramref name="path"/> (named by <paramref name="option"/> in errors) for a model reading
    /// <paramref name="spec"/>. With <paramref name="maxImages"/>, a random subset of that many (seeded by
    /// <paramref name="seed"/>); the images are always shuffled with that seed, so calibration sees all classes early.
    /// </summary>
    public static ImageSet Load(MLContext ml, string path, string? labelsPath, ImageSpec spec, int? maxImages, int seed, string option)
    {
        if (Directory.Exists(path))
        {
            if (labelsPath is not null) throw CliException.Usage($"--labels is for IDX files; the labels of folder '{path}' are its subfolder names.");
            return LoadFolder(ml, path, spec, maxImages, seed, option);
        }
        if (!File.Exists(path)) throw CliException.BadData($"{option} '{path}' does not exist: give a folder of images or an IDX images file.");
        if (!IdxFile.LooksLikeIdx(path))
            throw CliException.BadData($"{option} '{path}' is neither a folder nor an IDX images file (magic 0x00000803).");
        return LoadIdx(path, labelsPath, spec, maxImages, seed, option);
    }

    private static ImageSet LoadIdx(string path, string? labelsPath, ImageSpec spec, int? maxImages, int seed, string option)
    {
        var (count, rows, cols, pixels) = IdxFile.ReadImages(path);
        ImageInput input = spec.Input;
        if (input.Channels != 1 || rows != input.Height || cols != input.Width)
            throw CliException.BadData($"{option} '{path}' holds {rows}x{cols} gray images, but the model reads {input.Channels}x{input.Height}x{input.Width}.");
        if (count == 0) throw CliException.BadData($"{option} '{path}' holds no images.");
        byte[]? labels = null;
        if (labelsPath is not null)
        {
            if (!File.Exists(labelsPath)) throw CliException.BadData($"--labels '{labelsPath}' does not exist.");
            labels = IdxFile.ReadLabels(labelsPath);
            if (labels.Length != count) throw CliException.BadData($"--labels '{labelsPath}' holds {labels.Length} labels but '{path}' holds {count} images.");
        }
        int[] order = Subset(count, maxImages, seed);
        int size = rows * cols;
        var features = new float[order.Length][];
        for (int i = 0; i < order.Length; i++)
        {
            var x = new float[size];
            for (int j = 0; j < size; j++) x[j] = pixels[order[i] * size + j];
            spec.Normalize(x);
            features[i] = x;
        }
        int classes = labels is null ? 0 : labels.Max() + 1;
        return new ImageSet(path, spec, features, labels is null ? null : order.Select(i => (int)labels[i]).ToArray(),
            Enumerable.Range(0, classes).Select(c => c.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray(), Array.Empty<string>());
    }

    private static ImageSet LoadFolder(MLContext ml, string root, ImageSpec spec, int? maxImages, int seed, string option)
    {
        ImageFolderData listed;
        try
        {
            listed = ImageFolder.Load(ml, root);
        }
        catch (Exception e) when (e is InvalidDataException or DirectoryNotFoundException)
        {
            throw CliException.BadData($"{option}: {e.Message}", e);
        }
        string[] paths = listed.Data.GetColumn<string>(ImageFolder.ImagePathColumn).ToArray();
        string[] classes = listed.Data.GetColumn<string>(ImageFolder.LabelColumn).ToArray();
        int[] order = Subset(paths.Length, maxImages, seed);
        float[][] features = Decode(ml, order.Select(i => paths[i]).ToArray(), spec, option);
        // A root without class folders lists one class named "": unlabelled images.
        bool labelled = listed.ClassNames.Any(c => c.Length > 0);
        var index = listed.ClassNames.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i, StringComparer.Ordinal);
        int[]? labels = labelled ? order.Select(i => index[classes[i]]).ToArray() : null;
        return new ImageSet(listed.Root, spec, features, labels, labelled ? listed.ClassNames : Array.Empty<string>(), listed.Warnings) { FromFolder = true };
    }

    /// <summary>Decodes the files with the library's <see cref="ImageFolder.PixelPipeline"/> (ML.NET's image transforms) into normalized features.</summary>
    private static float[][] Decode(MLContext ml, string[] paths, ImageSpec spec, string option)
    {
        var view = ml.Data.LoadFromEnumerable(paths.Select(p => new PathRow { ImagePath = p }).ToList());
        IDataView pixels = ImageFolder.PixelPipeline(ml, spec.Input, nameof(PathRow.ImagePath), "Pixels").Fit(view).Transform(view);
        var features = new float[paths.Length][];
        using var cursor = pixels.GetRowCursor(new[] { pixels.Schema["Pixels"] });
        var getter = cursor.GetGetter<VBuffer<float>>(pixels.Schema["Pixels"]);
        var buffer = default(VBuffer<float>);
        int row = 0;
        try
        {
            for (; cursor.MoveNext(); row++)
            {
                getter(ref buffer);
                var x = new float[spec.Size];
                buffer.CopyTo(x);
                spec.Normalize(x);
                features[row] = x;
            }
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or IOException)
        {
            throw CliException.BadData($"{option}: cannot read image '{paths[Math.Min(row, paths.Length - 1)]}': {e.Message}", e);
        }
        return features;
    }

    /// <summary>Indexes 0..count-1 shuffled with <paramref name="seed"/>, the first <paramref name="max"/> of them.</summary>
    private static int[] Subset(int count, int? max, int seed)
    {
        int[] order = Enumerable.Range(0, count).ToArray();
        new Random(seed).Shuffle(order);
        return max is int m && m < count ? order[..m] : order;
    }

    private sealed class PathRow
    {
        public string ImagePath { get; set; } = "";
    }
}
