using Microsoft.ML.Compression.Cli.Data;
using Microsoft.ML.Compression.Graph;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Compression.Tests.Cli;

/// <summary>The tool's normalization (pixel / 255 - mean[c]) / std[c] picks each value's channel by the input's layout.</summary>
[TestClass]
public sealed class ImageSpecTests
{
    // A 3-channel 1x2 image: pixel values 0, 51, 102, 153, 204, 255 in memory order.
    private static readonly float[] Pixels = { 0, 51, 102, 153, 204, 255 };
    private static readonly float[] Mean = { 0.1f, 0.2f, 0.3f }, Std = { 0.5f, 0.25f, 0.125f };

    [TestMethod]
    public void Planar_NormalizesEachPlaneWithItsChannel()
    {
        var spec = ImageSpec.Create(new ImageInput(3, 1, 2), Mean, Std);
        float[] x = (float[])Pixels.Clone();
        spec.Normalize(x);
        // [C,H,W]: values 0-1 are channel 0, 2-3 channel 1, 4-5 channel 2.
        int[] channel = { 0, 0, 1, 1, 2, 2 };
        for (int i = 0; i < x.Length; i++)
            Assert.AreEqual((Pixels[i] / 255f - Mean[channel[i]]) / Std[channel[i]], x[i], 1e-6f, $"value {i}");
    }

    [TestMethod]
    public void Interleaved_NormalizesEachPixelsChannels()
    {
        var spec = ImageSpec.Create(new ImageInput(3, 1, 2) { Layout = PixelLayout.Hwc }, Mean, Std);
        float[] x = (float[])Pixels.Clone();
        spec.Normalize(x);
        // [H,W,C]: channels repeat 0, 1, 2 per pixel.
        for (int i = 0; i < x.Length; i++)
            Assert.AreEqual((Pixels[i] / 255f - Mean[i % 3]) / Std[i % 3], x[i], 1e-6f, $"value {i}");
    }

    [TestMethod]
    public void MeanZeroStdOne_GivesExactlyPixelOver255_AsMnistIdxDoes()
    {
        var spec = ImageSpec.Create(new ImageInput(1, 1, 6), null, null);
        float[] x = (float[])Pixels.Clone();
        spec.Normalize(x);
        for (int i = 0; i < x.Length; i++) Assert.AreEqual(Pixels[i] / 255f, x[i]);
    }

    [TestMethod]
    public void AMeanPerChannelOfTheWrongCount_IsAUsageError()
    {
        var e = Assert.ThrowsExactly<Microsoft.ML.Compression.Cli.CliException>(() => ImageSpec.Create(new ImageInput(3, 4, 4), new[] { 0.1f, 0.2f }, null));
        Assert.AreEqual(2, e.ExitCode);
        StringAssert.Contains(e.Message, "--mean has 2 values");
    }
}
