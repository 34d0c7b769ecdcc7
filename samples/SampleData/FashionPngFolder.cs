using System;
using System.IO;
using System.Linq;
using Microsoft.ML.Compression.Datasets;

namespace SampleData;

/// <summary>
/// Fashion-MNIST written out as real image files in one folder per class (<c>fashion-png/&lt;class name&gt;/00000.png</c>),
/// the layout Model Builder's image classification reads, so that samples and tests go through ML.NET's image decoder
/// like a user's own pictures would.
/// </summary>
public static class FashionPngFolder
{
    /// <summary>Subfolder of the data folder that <see cref="Ensure"/> fills.</summary>
    public const string FolderName = "fashion-png";

    /// <summary>
    /// The folder name of each class: Fashion-MNIST's class names with characters that cannot be in a folder name
    /// ("T-shirt/top") replaced by '-'.
    /// </summary>
    public static string[] ClassFolders { get; } = FashionMnist.ClassNames.Select(n => n.Replace('/', '-')).ToArray();

    /// <summary>
    /// Makes sure <c><paramref name="dataRoot"/>/fashion-png/</c> holds the first <paramref name="imagesPerClass"/>
    /// images of each class of Fashion-MNIST's training split as 28x28 gray PNG files (fetching Fashion-MNIST first
    /// when needed). Files already there are kept, so an interrupted run resumes; a marker file records a finished set.
    /// </summary>
    /// <returns>The full path of the folder, ready for <see cref="ImageFolder.Load"/>.</returns>
    public static string Ensure(string dataRoot, int imagesPerClass, Action<string>? log = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(imagesPerClass);
        string root = Path.Combine(Path.GetFullPath(dataRoot), FolderName);
        string marker = Path.Combine(root, $".complete-{imagesPerClass}");
        if (File.Exists(marker)) return root;

        string fashion = SampleDatasets.EnsureFashionMnist(dataRoot, log);
        LabeledImages images = FashionMnist.Read(fashion, FashionSplit.Train, imagesPerClass);
        log?.Invoke($"Writing {images.Count:N0} Fashion-MNIST images as PNG files into {root} (once)...");
        var pixels = new byte[images.FeatureSize];
        var written = new int[ClassFolders.Length];
        for (int i = 0; i < images.Count; i++)
        {
            int label = (int)images.Labels[i];
            string path = Path.Combine(root, ClassFolders[label], $"{written[label]++:D5}.png");
            if (File.Exists(path)) continue;
            ReadOnlySpan<float> image = images.GetImage(i);
            for (int p = 0; p < pixels.Length; p++) pixels[p] = (byte)MathF.Round(image[p] * 255);
            PngFiles.WriteGray(path, images.Cols, images.Rows, pixels);
        }
        File.WriteAllText(marker, $"{images.Count}\n");
        return root;
    }
}
