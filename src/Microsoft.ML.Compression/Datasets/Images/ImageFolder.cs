using System.IO;
using System.Threading.Tasks;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Runtime;
using Microsoft.ML.Transforms.Image;

namespace Microsoft.ML.Compression.Datasets;

/// <summary>
/// Image files in one folder per class, the way Model Builder's image classification reads them: <see cref="Load"/>
/// lists <c>root/&lt;class&gt;/…/&lt;file&gt;</c> into an IDataView of paths and class names, and
/// <see cref="PixelPipeline"/> is ML.NET's own LoadImages → ResizeImages → ExtractPixels for a network's
/// <see cref="ImageInput"/>.
/// </summary>
/// <example>
/// <code>
/// ImageFolderData images = ImageFolder.Load(ml, "data/flowers");
/// var input = ImageInput.Rgb(64, 64);
/// var pipeline = ml.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: ValueToKeyMappingEstimator.KeyOrdinality.ByValue)
///     .Append(ImageFolder.PixelPipeline(ml, input))
///     .Append(ml.Transforms.Compression.Train(NetworkZoo.ResNet18(input, images.ClassNames.Count), "Features", "Label"))
///     .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedClass", "PredictedLabel"));
/// </code>
/// </example>
public static class ImageFolder
{
    /// <summary>The column holding each file's full path.</summary>
    public const string ImagePathColumn = "ImagePath";

    /// <summary>The column holding each file's class: the name of the folder under the root it sits in ("" for files directly under a root without class folders).</summary>
    public const string LabelColumn = "Label";

    /// <summary>The column <see cref="PixelPipeline"/> loads images into (dropped once their pixels are extracted).</summary>
    public const string ImageColumn = "Image";

    /// <summary>
    /// Lists the image files under <paramref name="root"/>: each subfolder is a class (files in deeper folders belong to
    /// it); a root without subfolders is one unlabeled set (e.g. calibration images). Every file is checked
    /// (<see cref="ImageFolderOptions.Validation"/>): empty, unreadable and non-image files, and class folders without
    /// images, are left out with a warning (or fail, <see cref="ImageFolderOptions.InvalidFiles"/>), so that training
    /// never meets them mid-epoch. Files whose names do not end in an image extension are ignored (one warning).
    /// </summary>
    /// <exception cref="DirectoryNotFoundException"><paramref name="root"/> does not exist.</exception>
    /// <exception cref="InvalidDataException">No usable image was found, or (with <see cref="InvalidImageHandling.Fail"/>) a file or class folder is unusable; the message names it.</exception>
    public static ImageFolderData Load(MLContext mlContext, string root, ImageFolderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        options ??= new ImageFolderOptions();
        options.Validate();
        string fullRoot = Path.GetFullPath(root);
        if (!Directory.Exists(fullRoot))
            throw new DirectoryNotFoundException($"Image folder '{fullRoot}' does not exist; expected one subfolder per class holding its images ({root}/<class>/<image>.png).");

        IHost host = ((IHostEnvironment)mlContext).Register(nameof(ImageFolder));
        using IChannel channel = host.Start(nameof(Load));
        var warnings = new List<string>();
        void Note(string line)
        {
            warnings.Add(line);
            channel.Warning(MessageSensitivity.None, line);
        }
        // An unusable file or class is what InvalidFiles governs; ignored names and loose files only get a note.
        void Warn(string line)
        {
            if (options.InvalidFiles == InvalidImageHandling.Fail) throw new InvalidDataException(line);
            Note(line);
        }

        string[] classFolders = Directory.GetDirectories(fullRoot).Where(d => !IsHidden(d)).OrderBy(d => d, StringComparer.Ordinal).ToArray();
        var groups = classFolders.Length > 0
            ? classFolders.Select(d => (Class: Path.GetFileName(d), Files: Directory.EnumerateFiles(d, "*", SearchOption.AllDirectories)))
            : new[] { (Class: "", Files: Directory.EnumerateFiles(fullRoot)) };
        if (classFolders.Length > 0 && Directory.EnumerateFiles(fullRoot).FirstOrDefault(f => !IsHidden(f)) is string loose)
            Note($"Files directly under '{fullRoot}' (e.g. '{Path.GetFileName(loose)}') are ignored: with class folders present, only files inside them have a label.");

        var extensions = new HashSet<string>(options.Extensions, StringComparer.OrdinalIgnoreCase);
        var ignored = new List<string>();
        var rows = new List<ImageRow>();
        var classes = new List<string>();
        int gray = 0;
        foreach (var (className, files) in groups)
        {
            string[] candidates = files.Where(f => !IsHidden(f)).OrderBy(f => f, StringComparer.Ordinal).ToArray();
            ignored.AddRange(candidates.Where(f => !extensions.Contains(Path.GetExtension(f))));
            string[] images = candidates.Where(f => extensions.Contains(Path.GetExtension(f))).ToArray();
            var results = new ImageFileCheck.Result[images.Length];
            Parallel.For(0, images.Length, i => results[i] = ImageFileCheck.Check(images[i], options.Validation));
            int kept = 0;
            for (int i = 0; i < images.Length; i++)
            {
                if (results[i].Problem is string problem)
                {
                    Warn($"Skipped image file '{images[i]}': {problem}.");
                    continue;
                }
                rows.Add(new ImageRow { ImagePath = images[i], Label = className });
                if (results[i].Grayscale) gray++;
                kept++;
            }
            if (kept > 0) classes.Add(className);
            else if (className.Length > 0)
                Warn($"Class folder '{Path.Combine(fullRoot, className)}' holds no usable image{(images.Length > 0 ? $" (all {images.Length} files were skipped)" : "")}; the class is left out.");
        }
        if (ignored.Count > 0)
            Note($"Ignored {ignored.Count} file(s) whose names do not end in {string.Join("/", options.Extensions)}, e.g. '{ignored[0]}'.");
        if (rows.Count == 0)
            throw new InvalidDataException($"No usable image file under '{fullRoot}'; expected one subfolder per class holding {string.Join("/", options.Extensions)} files." +
                (warnings.Count > 0 ? " " + warnings[0] : ""));
        if (gray > 0)
            channel.Info(MessageSensitivity.None, $"{gray} of {rows.Count} images are grayscale; ML.NET reads them as R = G = B.");
        channel.Info(MessageSensitivity.None, $"Listed {rows.Count} images in {classes.Count} class(es) under '{fullRoot}'.");
        IDataView data = mlContext.Data.LoadFromEnumerable(rows);
        return new ImageFolderData(data, fullRoot, classes, warnings, rows.Count, gray);
    }

    /// <summary>
    /// ML.NET's image transforms that turn <paramref name="imagePathColumn"/> into the raw pixels <paramref name="input"/>
    /// describes: LoadImages, ResizeImages to its width and height (ML.NET's default: scale to cover, then crop the
    /// center), ConvertToGrayscale for one channel, and ExtractPixels (values 0..255, planar or interleaved as its
    /// layout says) into <paramref name="featureColumnName"/>. The network normalizes the pixels itself.
    /// </summary>
    public static IEstimator<ITransformer> PixelPipeline(MLContext mlContext, ImageInput input, string imagePathColumn = ImagePathColumn, string featureColumnName = "Features")
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(input);
        input.Validate();
        if (input.Channels is not (1 or 3))
            throw new ArgumentOutOfRangeException(nameof(input), input.Channels, "Image files give 1 (gray) or 3 (RGB) channels.");
        IEstimator<ITransformer> pipeline = mlContext.Transforms.LoadImages(ImageColumn, null, imagePathColumn)
            .Append(mlContext.Transforms.ResizeImages(ImageColumn, input.Width, input.Height));
        if (input.Channels == 1) pipeline = pipeline.Append(mlContext.Transforms.ConvertToGrayscale(ImageColumn));
        return pipeline
            .Append(mlContext.Transforms.ExtractPixels(featureColumnName, ImageColumn,
                input.Channels == 1 ? ImagePixelExtractingEstimator.ColorBits.Red : ImagePixelExtractingEstimator.ColorBits.Rgb,
                interleavePixelColors: input.Layout == PixelLayout.Hwc))
            .Append(mlContext.Transforms.DropColumns(ImageColumn));
    }

    private static bool IsHidden(string path) => Path.GetFileName(path).StartsWith('.');

    private sealed class ImageRow
    {
        public string ImagePath { get; set; } = "";
        public string Label { get; set; } = "";
    }
}
