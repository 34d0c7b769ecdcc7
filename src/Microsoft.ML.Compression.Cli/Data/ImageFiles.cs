using System.IO;

namespace Microsoft.ML.Compression.Cli.Data;

/// <summary>Lists the image files of a folder: root/&lt;class&gt;/&lt;file&gt;, or files directly under root (no labels).</summary>
public static class ImageFiles
{
    private static readonly string[] Extensions = { ".png", ".jpg", ".jpeg", ".bmp", ".gif" };

    /// <summary>The files with their class index (class folders sorted by name), the class names, and what was skipped.</summary>
    public static (List<(string Path, int ClassIndex)> Files, IReadOnlyList<string> ClassNames, IReadOnlyList<string> Warnings) List(string root)
    {
        var warnings = new List<string>();
        string[] classes = Directory.GetDirectories(root).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToArray();
        var files = new List<(string, int)>();
        if (classes.Length == 0)
        {
            files.AddRange(Images(root, warnings).Select(f => (f, 0)));
            return (files, Array.Empty<string>(), warnings);
        }
        foreach (string loose in Images(root, warnings)) warnings.Add($"'{loose}' is not in a class folder; skipped.");
        var kept = new List<string>();
        foreach (string c in classes)
        {
            string[] images = Images(Path.Combine(root, c), warnings).ToArray();
            if (images.Length == 0)
            {
                warnings.Add($"Class folder '{c}' holds no images; skipped.");
                continue;
            }
            files.AddRange(images.Select(f => (f, kept.Count)));
            kept.Add(c);
        }
        return (files, kept, warnings);
    }

    private static IEnumerable<string> Images(string folder, List<string> warnings) =>
        Directory.GetFiles(folder).Order(StringComparer.Ordinal).Where(f =>
        {
            bool image = Extensions.Contains(Path.GetExtension(f).ToLowerInvariant());
            if (!image) warnings.Add($"'{f}' is not an image file; skipped.");
            return image;
        }).Select(Path.GetFullPath);
}
