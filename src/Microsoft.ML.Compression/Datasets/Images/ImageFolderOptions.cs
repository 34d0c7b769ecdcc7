namespace Microsoft.ML.Compression.Datasets;

/// <summary>How much of each file <see cref="ImageFolder.Load"/> reads before listing it.</summary>
public enum ImageValidation
{
    /// <summary>Decode every file with ML.NET's own image decoder (what LoadImages will do): a file that lists is a file that loads. Default.</summary>
    Decode,

    /// <summary>Only read each file's header (format and size): faster, but a truncated file is found only when LoadImages reads it.</summary>
    Header,

    /// <summary>List files by extension only.</summary>
    None,
}

/// <summary>What <see cref="ImageFolder.Load"/> does with a file that cannot be read as an image, or a class folder without images.</summary>
public enum InvalidImageHandling
{
    /// <summary>Leave it out and say so in <see cref="ImageFolderData.Warnings"/> and the MLContext log. Default.</summary>
    Skip,

    /// <summary>Throw <see cref="System.IO.InvalidDataException"/> naming the file (or folder) and the reason.</summary>
    Fail,
}

/// <summary>Settings of <see cref="ImageFolder.Load"/>.</summary>
public sealed class ImageFolderOptions
{
    /// <summary>File name endings listed as images (case-insensitive). Default .png, .jpg, .jpeg, .bmp, .gif, .webp.</summary>
    public IReadOnlyList<string> Extensions { get; set; } = new[] { ".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp" };

    /// <summary>How much of each file is read to check it. Default <see cref="ImageValidation.Decode"/>.</summary>
    public ImageValidation Validation { get; set; } = ImageValidation.Decode;

    /// <summary>Unreadable, empty or non-image files, and class folders without images. Default <see cref="InvalidImageHandling.Skip"/>.</summary>
    public InvalidImageHandling InvalidFiles { get; set; } = InvalidImageHandling.Skip;

    /// <summary>Checks the settings; the message names the one at fault.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Extensions, nameof(Extensions));
        if (Extensions.Count == 0 || Extensions.Any(e => string.IsNullOrWhiteSpace(e) || e[0] != '.'))
            throw new ArgumentException($"{nameof(Extensions)} must list file endings that start with '.', e.g. \".png\"; got [{string.Join(", ", Extensions)}].", nameof(Extensions));
        if (!Enum.IsDefined(Validation))
            throw new ArgumentOutOfRangeException(nameof(Validation), Validation, "Unknown validation mode.");
        if (!Enum.IsDefined(InvalidFiles))
            throw new ArgumentOutOfRangeException(nameof(InvalidFiles), InvalidFiles, "Unknown handling of invalid files.");
    }
}
