using Microsoft.ML.Compression.Graph;

namespace Microsoft.ML.Compression.Zoo;

/// <summary>
/// Ready-made networks, built from the IR without weights: small ones for 28x28 single-channel images (MNIST,
/// Fashion-MNIST) whose size arguments default to that input, and the standard ImageNet architectures
/// (<see cref="ResNet18"/>, <see cref="ResNet34"/>, <see cref="MobileNetV2(ImageInput, int, double)"/>) for any
/// <see cref="ImageInput"/>, whose stems adapt to the image size. One file per family.
/// </summary>
public static partial class NetworkZoo
{
    /// <summary>
    /// Checks that <paramref name="input"/> is at least <paramref name="totalStride"/> pixels on its shorter side, so that
    /// every stride-2 layer halves a map of at least 2 pixels and the last stage is at least 1x1 without being made of
    /// padding alone; the message names the network and the input size.
    /// </summary>
    private static void CheckSize(string network, ImageInput input, int totalStride, string why)
    {
        ArgumentNullException.ThrowIfNull(input);
        input.Validate();
        if (Math.Min(input.Height, input.Width) < totalStride)
            throw new ArgumentException(
                $"{network} needs images of at least {totalStride}x{totalStride} pixels ({why}), got {input.Height}x{input.Width}.",
                nameof(input));
    }
}
