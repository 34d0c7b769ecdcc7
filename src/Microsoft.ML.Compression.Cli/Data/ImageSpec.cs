using Microsoft.ML.Compression.Graph;

namespace Microsoft.ML.Compression.Cli.Data;

/// <summary>
/// What a model reads and how the tool makes it from image pixels: the image size and layout, and the normalization
/// <c>(pixel / 255 - mean[c]) / std[c]</c> per channel (mean and std in 0..1 pixel units, as PyTorch's
/// <c>transforms.Normalize</c> after <c>ToTensor</c>).
/// </summary>
/// <param name="Input">Channels, height, width and layout of one image.</param>
/// <param name="Mean">Per-channel mean (one value for all channels, or one per channel).</param>
/// <param name="Std">Per-channel standard deviation (one value, or one per channel).</param>
public sealed record ImageSpec(ImageInput Input, float[] Mean, float[] Std)
{
    /// <summary>
    /// The spec for <paramref name="input"/> with the <c>--mean</c>/<c>--std</c> values given (defaults 0 and 1:
    /// pixel / 255); a usage error when their count is neither 1 nor the channel count.
    /// </summary>
    public static ImageSpec Create(ImageInput input, float[]? mean, float[]? std)
    {
        mean ??= new[] { 0f };
        std ??= new[] { 1f };
        foreach (var (name, values) in new[] { ("mean", mean), ("std", std) })
            if (values.Length != 1 && values.Length != input.Channels)
                throw CliException.Usage(
                    $"Option --{name} has {values.Length} values; the model reads {input.Channels} channel(s), so give 1 value or {input.Channels} (comma-separated).");
        return new ImageSpec(input, mean, std);
    }

    /// <summary>Values per image.</summary>
    public int Size => Input.Size;

    /// <summary>Turns raw pixels (0..255, in the input's layout) into the model's feature values, in place.</summary>
    public void Normalize(Span<float> pixels)
    {
        int c = Input.Channels, plane = Input.Height * Input.Width;
        for (int i = 0; i < pixels.Length; i++)
        {
            int channel = Input.Layout == PixelLayout.Chw ? i / plane : i % c;
            float m = Mean[Mean.Length == 1 ? 0 : channel], s = Std[Std.Length == 1 ? 0 : channel];
            // Same operations and order as pixel / 255f then (x - mean) / std, so mean 0 / std 1 gives exactly pixel / 255f.
            pixels[i] = (pixels[i] / 255f - m) / s;
        }
    }

    /// <summary>A short description for logs and reports, e.g. "1x28x28 CHW, (pixel/255 - 0.5)/0.25".</summary>
    public override string ToString() =>
        $"{Input.Channels}x{Input.Height}x{Input.Width} {Input.Layout.ToString().ToUpperInvariant()}, (pixel/255 - [{string.Join(",", Mean)}]) / [{string.Join(",", Std)}]";
}
