using System;
using System.Linq;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Onnx;
using Microsoft.ML.Compression.Tests.Onnx;
using Microsoft.ML.Compression.Zoo;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Compression.Tests.Zoo;

/// <summary>
/// The ImageNet architectures for <see cref="ImageInput"/>s: sizes against torchvision's published counts, the stems
/// chosen for each image size, and the inputs they refuse.
/// </summary>
/// <remarks>
/// Reference parameter counts are torchvision's (resnet18 11,689,512; resnet34 21,797,672; mobilenet_v2 3,504,872; BN
/// weight and bias counted, running statistics not, as <see cref="Layer.ParameterCount"/> does). MACs are convolutions
/// and fc layers only, derived by hand from the layer list (torchvision's model cards give 1.81 GFLOPs, meaning MACs, for
/// resnet18, 3.66 for resnet34, 0.30 for mobilenet_v2; the MobileNetV2 paper 300M and, at width 0.5, 97M). Our networks
/// hold 6 more parameters: the fixed per-channel scale and shift of the RGB normalization (ImageInput.Rgb), which
/// torchvision leaves to the data pipeline.
/// </remarks>
[TestClass]
public class ImageNetZooTests
{
    private const long Normalization = 2 * 3;

    [TestMethod]
    public void ResNet18And34HaveTorchvisionsSizeAt224()
    {
        NetworkGraph r18 = NetworkZoo.ResNet18(ImageInput.Rgb(224, 224), classes: 1000);
        Assert.AreEqual(11_689_512 + Normalization, r18.ParameterCount);
        Assert.AreEqual(1_814_073_344, r18.Macs);
        NetworkGraph r34 = NetworkZoo.ResNet34(ImageInput.Rgb(224, 224), classes: 1000);
        Assert.AreEqual(21_797_672 + Normalization, r34.ParameterCount);
        Assert.AreEqual(3_663_761_408, r34.Macs);
        Assert.AreEqual(512, ((LinearLayer)r34["fc"]).InFeatures);
    }

    [TestMethod]
    public void MobileNetV2HasTorchvisionsSizeAt224()
    {
        NetworkGraph full = NetworkZoo.MobileNetV2(ImageInput.Rgb(224, 224), classes: 1000);
        Assert.AreEqual(3_504_872 + Normalization, full.ParameterCount);
        Assert.AreEqual(300_774_272, full.Macs);
        Assert.AreEqual(52, full.Layers.OfType<Conv2dLayer>().Count(), "stem, 17 blocks of 3 convolutions less the first's expansion, 1x1 head");
        NetworkGraph half = NetworkZoo.MobileNetV2(ImageInput.Rgb(224, 224), classes: 1000, widthMultiplier: 0.5);
        Assert.AreEqual(1_968_680 + Normalization, half.ParameterCount);
        Assert.AreEqual(97_131_840, half.Macs);
        Assert.AreEqual(1280, ((Conv2dLayer)half["head_conv"]).OutChannels, "the head is not narrowed below 1280");
        Assert.AreEqual(1792, ((Conv2dLayer)NetworkZoo.MobileNetV2(ImageInput.Rgb(224, 224), widthMultiplier: 1.4)["head_conv"]).OutChannels);
    }

    [TestMethod]
    [DataRow(11.2, 16)] // 0.35 x 32: 8 would lose 29%
    [DataRow(5.6, 8)] // never below 8
    [DataRow(12.0, 16)] // halves round up
    [DataRow(33.6, 32)] // 0.35 x 96: 32 keeps 95%
    [DataRow(120.0, 120)]
    public void ChannelsRoundAsThePaper(double value, int expected) => Assert.AreEqual(expected, NetworkZoo.MakeDivisible(value));

    [TestMethod]
    [DataRow(32, 32, 4, false)] // CIFAR stem
    [DataRow(48, 24, 3, true)] // 3x3 stride-1 conv, then the max pool
    [DataRow(64, 16, 2, true)] // ImageNet stem
    [DataRow(224, 56, 7, true)]
    public void ResNetStemFollowsTheImageSize(int size, int firstStage, int lastStage, bool pooled)
    {
        NetworkGraph net = NetworkZoo.ResNet18(ImageInput.Rgb(size, size), baseWidth: 8);
        CollectionAssert.AreEqual(new[] { 8, firstStage, firstStage }, net.ShapeOf("s1b2_relu2"));
        CollectionAssert.AreEqual(new[] { 64, lastStage, lastStage }, net.ShapeOf("s4b2_relu2"));
        Assert.AreEqual(pooled, net.Layers.Any(l => l.Name == "stem_pool"));
        Assert.AreEqual(size >= 64 ? 7 : 3, ((Conv2dLayer)net["stem_conv"]).Window.KernelHeight);
        Assert.AreEqual(8, NetworkZoo.ResNet34(ImageInput.Rgb(size, size), baseWidth: 1).ShapeOf("s4b3_relu2")[0]);
    }

    [TestMethod]
    [DataRow(32, 32, 4)] // stride 1 in the stem and the first stride-2 stage
    [DataRow(64, 16, 2)]
    [DataRow(224, 56, 7)]
    public void MobileNetV2StridesFollowTheImageSize(int size, int secondStage, int last)
    {
        NetworkGraph net = NetworkZoo.MobileNetV2(ImageInput.Rgb(size, size), widthMultiplier: 0.25);
        CollectionAssert.AreEqual(new[] { 8, secondStage, secondStage }, net.ShapeOf("s2b2_add"));
        CollectionAssert.AreEqual(new[] { 1280, last, last }, net.ShapeOf("head_relu"));
    }

    [TestMethod]
    public void NonSquareAndGrayImagesPickTheStemByTheShorterSide()
    {
        // 40 px: the pooled 3x3 stem; both sides halve four times after it.
        NetworkGraph wide = NetworkZoo.ResNet18(ImageInput.Rgb(40, 100), baseWidth: 8);
        CollectionAssert.AreEqual(new[] { 64, 3, 7 }, wide.ShapeOf("s4b2_relu2"));
        Assert.AreEqual(3, ((Conv2dLayer)wide["stem_conv"]).Window.KernelHeight);
        // One gray plane without normalization: no prefix layers, the stem reads the input itself.
        NetworkGraph gray = NetworkZoo.MobileNetV2(new ImageInput(1, 28, 28), widthMultiplier: 0.5);
        Assert.AreEqual(NetworkGraph.InputName, gray["stem_conv"].Inputs[0]);
        CollectionAssert.AreEqual(new[] { 1280, 4, 4 }, gray.ShapeOf("head_relu"));
    }

    [TestMethod]
    public void ImagesSmallerThanTheTotalStrideAreRefused()
    {
        var error = Assert.ThrowsExactly<ArgumentException>(() => NetworkZoo.ResNet18(ImageInput.Rgb(4, 4)));
        StringAssert.Contains(error.Message, "4x4");
        StringAssert.Contains(error.Message, "8x8");
        error = Assert.ThrowsExactly<ArgumentException>(() => NetworkZoo.MobileNetV2(ImageInput.Rgb(6, 40)));
        StringAssert.Contains(error.Message, "6x40");
        // The smallest accepted sizes end in 1x1 maps.
        CollectionAssert.AreEqual(new[] { 512, 1, 1 }, NetworkZoo.ResNet18(ImageInput.Rgb(8, 8)).ShapeOf("s4b2_relu2"));
        CollectionAssert.AreEqual(new[] { 1280, 1, 1 }, NetworkZoo.MobileNetV2(ImageInput.Rgb(8, 8)).ShapeOf("head_relu"));
        CollectionAssert.AreEqual(new[] { 512, 3, 3 }, NetworkZoo.ResNet18(ImageInput.Rgb(33, 33)).ShapeOf("s4b2_relu2")); // 17, 9, 5, 3
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => NetworkZoo.MobileNetV2(ImageInput.Rgb(32, 32), widthMultiplier: 0));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => NetworkZoo.ResNet34(ImageInput.Rgb(32, 32), baseWidth: 0));
    }

    [TestMethod]
    public void The28x28OverloadsAreUnchanged()
    {
        NetworkGraph small = NetworkZoo.MobileNetV2();
        CollectionAssert.AreEqual(new[] { 1, 28, 28 }, small.InputShape);
        Assert.IsTrue(small.Layers.Any(l => l.Name == "b1_expand"), "the small net keeps its expansion in every block");
        CollectionAssert.AreEqual(new[] { 1, 28, 28 }, NetworkZoo.MobileNetV2(10, 16).InputShape);
        CollectionAssert.AreEqual(new[] { 1, 28, 28 }, NetworkZoo.ResNet20().InputShape);
    }

    [TestMethod]
    public void FullSizeNetworksRunAt224AndExport()
    {
        // Interleaved pixels too: the network moves them to [C,H,W] itself. ResNet-18 at a quarter of its width runs the
        // same layers at a sixteenth of the cost.
        var hwc = ImageInput.Rgb(224, 224) with { Layout = PixelLayout.Hwc };
        foreach (NetworkGraph net in new[] { NetworkZoo.ResNet18(ImageInput.Rgb(224, 224), classes: 1000, baseWidth: 16), NetworkZoo.MobileNetV2(hwc, classes: 1000) })
        {
            NetworkGraph weighted = TestWeights.FillRandom(net, seed: 7);
            float[] pixels = RandomImages.Pixels(ImageInput.Of(net)!, 2, seed: 8);
            float[] torch = TorchLogits.Of(weighted, pixels, 2);
            float[] ort = OrtRunner.Run(OnnxExporter.Export(weighted), pixels, 2).Logits;
            Assert.AreEqual(2000, torch.Length);
            float scale = Math.Max(1, torch.Max(MathF.Abs));
            Assert.IsTrue(TorchLogits.MaxAbsDifference(torch, ort) <= 1e-4f * scale, $"{net.Name}: ONNX Runtime differs by {TorchLogits.MaxAbsDifference(torch, ort)} (logits up to {scale})");
        }
    }
}
