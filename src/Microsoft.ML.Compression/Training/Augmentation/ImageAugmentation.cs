namespace Microsoft.ML.Compression.Training.Augmentation;

/// <summary>
/// Random changes to training images, drawn per image from the run's seed, epoch and batch (the same seed gives the
/// same images). Applied to training batches only, never to validation, evaluation or calibration data. Needs a
/// network with an image input (<see cref="Graph.ImageInput"/>), whose geometry and pixel layout it follows.
/// </summary>
public sealed class ImageAugmentation
{
    /// <summary>
    /// Pads each side of the image with this many zero pixels and crops a random window of the original size: the
    /// content moves by up to this many pixels in each direction. Default 0 (no crop).
    /// </summary>
    public int CropPadding { get; set; }

    /// <summary>Mirrors each image left to right with probability 0.5. Default false.</summary>
    public bool HorizontalFlip { get; set; }

    /// <summary>True when the settings change images at all.</summary>
    public bool ChangesImages => CropPadding > 0 || HorizontalFlip;

    /// <summary>Throws when a setting is out of range, naming it.</summary>
    public void Validate()
    {
        if (CropPadding < 0)
            throw new ArgumentOutOfRangeException(nameof(CropPadding), CropPadding, "CropPadding must be >= 0 (pixels of zero padding per side).");
    }
}
