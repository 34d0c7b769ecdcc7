namespace Microsoft.ML.Compression.Datasets;

/// <summary>
/// What <see cref="ImageFolder.Load"/> found: the rows (columns <see cref="ImageFolder.ImagePathColumn"/>, the file's
/// full path, and <see cref="ImageFolder.LabelColumn"/>, its class folder's name), the classes in order, and every
/// file or folder left out and why.
/// </summary>
public sealed class ImageFolderData
{
    internal ImageFolderData(IDataView data, string root, IReadOnlyList<string> classNames, IReadOnlyList<string> warnings, int count, int grayscaleFiles)
    {
        Data = data;
        Root = root;
        ClassNames = classNames;
        Warnings = warnings;
        Count = count;
        GrayscaleFiles = grayscaleFiles;
    }

    /// <summary>One row per image file, class by class in <see cref="ClassNames"/> order, files in ordinal name order.</summary>
    public IDataView Data { get; }

    /// <summary>The folder listed (full path).</summary>
    public string Root { get; }

    /// <summary>The class folders that hold images, in ordinal order (the key values MapValueToKey gives the label with <c>KeyOrdinality.ByValue</c>).</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>Files and folders left out, one line each naming it and the reason (also written to the MLContext log).</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>Image files listed.</summary>
    public int Count { get; }

    /// <summary>
    /// Listed files stored with one gray channel (found when files are decoded or their headers read). ML.NET loads
    /// them as color images with R = G = B, so they mix with RGB files; a gray network reads them through
    /// ConvertToGrayscale unchanged.
    /// </summary>
    public int GrayscaleFiles { get; }
}
