using Microsoft.ML.Compression.Graph;

namespace Microsoft.ML.Compression.Training.Augmentation;

/// <summary>
/// Applies <see cref="ImageAugmentation"/> in place to the raw feature rows of a batch, before they become a tensor:
/// per image a crop offset in [-p, p] on each axis (zeros where the window leaves the image), then a mirror.
/// </summary>
internal sealed class BatchAugmenter
{
    private readonly ImageAugmentation _settings;
    private readonly ImageInput _image;

    public BatchAugmenter(ImageAugmentation settings, ImageInput image)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(image);
        settings.Validate();
        _settings = settings;
        _image = image;
    }

    /// <summary>
    /// The augmenter for <paramref name="network"/>'s image input; an error naming the option when the network reads
    /// a plain vector, whose values have no rows and columns to crop or mirror.
    /// </summary>
    public static BatchAugmenter For(ImageAugmentation settings, NetworkGraph network) =>
        new(settings, ImageInput.Of(network) ?? throw new ArgumentException(
            $"{nameof(TrainingOptions)}.{nameof(TrainingOptions.Augmentation)} crops and flips images, but network '{network.Name}' reads a vector of " +
            $"{network.InputSize} values, not an image; build it with an ImageInput or leave {nameof(TrainingOptions.Augmentation)} null.",
            nameof(TrainingOptions.Augmentation)));

    /// <summary>
    /// The random source of one batch, from the seed, epoch and batch index alone (System.HashCode is randomised per
    /// process, so the mixing is spelled out), so a run is the same wherever each batch is prepared.
    /// </summary>
    public static Random RandomFor(int seed, int epoch, int batch)
    {
        ulong h = Mix((uint)seed);
        h = Mix(h ^ (uint)epoch);
        h = Mix(h ^ (uint)batch);
        return new Random((int)(h & int.MaxValue));
    }

    // SplitMix64's finalizer: every input bit moves about half the output bits.
    private static ulong Mix(ulong x)
    {
        x += 0x9E3779B97F4A7C15;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EB;
        return x ^ (x >> 31);
    }

    /// <summary>Changes the <paramref name="rows"/> images at the start of <paramref name="batch"/> in place.</summary>
    public void Apply(Span<float> batch, int rows, Random random)
    {
        int size = _image.Size, p = _settings.CropPadding;
        if (batch.Length < (long)rows * size) throw new ArgumentException($"{rows} images need {(long)rows * size} values.", nameof(batch));
        var original = new float[size];
        for (int n = 0; n < rows; n++)
        {
            // Draw in a fixed order per image, whatever the settings, so adding one change does not reshuffle the other.
            int dy = random.Next(2 * p + 1) - p, dx = random.Next(2 * p + 1) - p;
            bool flip = random.Next(2) == 1 && _settings.HorizontalFlip;
            if (dy == 0 && dx == 0 && !flip) continue;
            Span<float> image = batch.Slice(n * size, size);
            image.CopyTo(original);
            Transform(original, image, dy, dx, flip);
        }
    }

    // out(c, y, x) = in(c, y + dy, x' + dx) with x' = W-1-x when flipped, zero outside the image.
    private void Transform(float[] source, Span<float> target, int dy, int dx, bool flip)
    {
        int c = _image.Channels, h = _image.Height, w = _image.Width;
        bool planar = _image.Layout == PixelLayout.Chw;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int sy = y + dy, sx = (flip ? w - 1 - x : x) + dx;
                bool inside = sy >= 0 && sy < h && sx >= 0 && sx < w;
                for (int k = 0; k < c; k++)
                {
                    int to = planar ? (k * h + y) * w + x : (y * w + x) * c + k;
                    target[to] = inside ? source[planar ? (k * h + sy) * w + sx : (sy * w + sx) * c + k] : 0f;
                }
            }
    }
}
