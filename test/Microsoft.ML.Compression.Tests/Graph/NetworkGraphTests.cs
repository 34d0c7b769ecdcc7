using System;
using System.Linq;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Quantization;
using Microsoft.ML.Compression.Zoo;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Compression.Tests.Graph;

[TestClass]
public class NetworkGraphTests
{
    [TestMethod]
    public void LeNet5CountsMatchTheArchitecture()
    {
        NetworkGraph net = NetworkZoo.LeNet5();
        // conv1 6*1*25+6, conv2 16*6*25+16, fc 400*120+120, 120*84+84, 84*10+10
        Assert.AreEqual(156 + 2416 + 48120 + 10164 + 850, net.ParameterCount);
        // conv1 6*28*28*25, conv2 16*10*10*150, fc 400*120 + 120*84 + 84*10
        Assert.AreEqual(117600 + 240000 + 48000 + 10080 + 840, net.Macs);
        Assert.AreEqual(10, net.ClassCount);
        CollectionAssert.AreEqual(new[] { 16, 5, 5 }, net.ShapeOf("pool2"));
        Assert.AreEqual("lenet5", net.Name);
    }

    [TestMethod]
    public void LeNet5WithAWiderConv1FeedsConv2ThatManyChannels()
    {
        NetworkGraph net = NetworkZoo.LeNet5(conv1Channels: 8);
        Assert.AreEqual("lenet5-conv1x8", net.Name);
        // conv1 8*1*25+8, conv2 16*8*25+16, the classifier as in LeNet-5
        Assert.AreEqual(208 + 3216 + 48120 + 10164 + 850, net.ParameterCount);
        // conv1 8*28*28*25, conv2 16*10*10*200, fc 400*120 + 120*84 + 84*10
        Assert.AreEqual(156800 + 320000 + 48000 + 10080 + 840, net.Macs);
        Assert.IsFalse(SlowInt8Layers.Of(net).ContainsKey("conv2"), "conv2 reads 8 channels, enough for int8");
        Assert.AreEqual("lenet5-bn-conv1x8", NetworkZoo.LeNet5(batchNorm: true, conv1Channels: 8).Name);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => NetworkZoo.LeNet5(conv1Channels: 0));
    }

    [TestMethod]
    public void ResNet20HasTheCifarLayout()
    {
        NetworkGraph net = NetworkZoo.ResNet20();
        Assert.AreEqual(19, net.Layers.OfType<Conv2dLayer>().Count(c => c.Window.KernelHeight == 3), "1 stem + 18 block convolutions");
        Assert.AreEqual(2, net.Layers.OfType<Conv2dLayer>().Count(c => c.Window.KernelHeight == 1), "two downsample shortcuts");
        Assert.AreEqual(9, net.Layers.OfType<AddLayer>().Count());
        CollectionAssert.AreEqual(new[] { 64, 7, 7 }, net.ShapeOf("s3b3_relu2"));
        // The well-known ResNet-20 size is ~0.27M parameters (the 1x1 shortcuts add a little).
        Assert.IsTrue(net.ParameterCount is > 260_000 and < 280_000, $"ResNet-20 has {net.ParameterCount} parameters");
    }

    [TestMethod]
    public void VggAndLeNetBnBuild()
    {
        Assert.AreEqual(6, NetworkZoo.Vgg().Layers.OfType<BatchNorm2dLayer>().Count());
        Assert.AreEqual(2, NetworkZoo.LeNet5(batchNorm: true).Layers.OfType<BatchNorm2dLayer>().Count());
        Assert.IsFalse(NetworkZoo.LeNet5(batchNorm: true).Layers.OfType<Conv2dLayer>().Any(c => c.HasBias));
    }

    [TestMethod]
    public void LinearWithWrongInputSizeNamesTheLayer()
    {
        var b = new NetworkBuilder("bad", 1, 28, 28);
        string x = b.Flatten(b.Input);
        var ex = Assert.ThrowsExactly<InvalidOperationException>(() => b.Add(new LinearLayer("fc", x, 100, 10)));
        StringAssert.Contains(ex.Message, "'fc'");
        StringAssert.Contains(ex.Message, "100");
        StringAssert.Contains(ex.Message, "784");
    }

    [TestMethod]
    public void ConvChannelMismatchAndMissingFlattenAreReported()
    {
        var conv = new Conv2dLayer("conv", NetworkGraph.InputName, 3, 8, 3);
        var ex = Assert.ThrowsExactly<InvalidOperationException>(() => new NetworkGraph("n", new[] { 1, 28, 28 }, new Layer[] { conv }));
        StringAssert.Contains(ex.Message, "expects 3 input channels");

        var b = new NetworkBuilder("n", 1, 8, 8);
        string x = b.Conv2d(b.Input, 4, 3);
        var ex2 = Assert.ThrowsExactly<InvalidOperationException>(() => b.Add(new LinearLayer("fc", x, 144, 10)));
        StringAssert.Contains(ex2.Message, "Flatten");
    }

    [TestMethod]
    public void AddAndConcatCheckShapes()
    {
        var b = new NetworkBuilder("n", 1, 8, 8);
        string a = b.Conv2d(b.Input, 4, 3, padding: 1);
        string c = b.Conv2d(b.Input, 4, 3, stride: 2, padding: 1);
        var ex = Assert.ThrowsExactly<InvalidOperationException>(() => b.Add(a, c));
        StringAssert.Contains(ex.Message, "[4,8,8]");
        StringAssert.Contains(ex.Message, "[4,4,4]");
        string d = b.Conv2d(b.Input, 6, 1);
        string cat = b.Concat(new[] { a, d });
        CollectionAssert.AreEqual(new[] { 10, 8, 8 }, b.ShapeOf(cat));
        Assert.ThrowsExactly<InvalidOperationException>(() => b.Concat(new[] { a, c }));
    }

    [TestMethod]
    public void WiringErrorsAreReported()
    {
        var relu = new ReLULayer("relu", "nowhere");
        var ex = Assert.ThrowsExactly<InvalidOperationException>(() => new NetworkGraph("n", new[] { 1, 4, 4 }, new Layer[] { relu }));
        StringAssert.Contains(ex.Message, "'nowhere'");

        var f1 = new FlattenLayer("f", NetworkGraph.InputName);
        var f2 = new FlattenLayer("f", NetworkGraph.InputName);
        Assert.ThrowsExactly<InvalidOperationException>(() => new NetworkGraph("n", new[] { 1, 4, 4 }, new Layer[] { f1, f2 }));

        var conv = new Conv2dLayer("conv", NetworkGraph.InputName, 1, 2, 3);
        var notVector = Assert.ThrowsExactly<InvalidOperationException>(() => new NetworkGraph("n", new[] { 1, 4, 4 }, new Layer[] { conv }));
        StringAssert.Contains(notVector.Message, "[classes]");

        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new Conv2dLayer("g", "input", 6, 8, 3, groups: 4));
        var tooSmall = new NetworkBuilder("n", 1, 2, 2);
        Assert.ThrowsExactly<InvalidOperationException>(() => tooSmall.Conv2d(tooSmall.Input, 2, 5));
    }

    [TestMethod]
    public void SetParameterChecksTheShape()
    {
        var conv = new Conv2dLayer("conv", "input", 2, 4, 3, groups: 2);
        CollectionAssert.AreEqual(new[] { 4, 1, 3, 3 }, conv.ParameterShape("weight"));
        var ex = Assert.ThrowsExactly<ArgumentException>(() => conv.SetParameter("weight", ParameterTensor.Filled(new[] { 4, 2, 3, 3 }, 0)));
        StringAssert.Contains(ex.Message, "[4,1,3,3]");
        Assert.ThrowsExactly<ArgumentException>(() => conv.SetParameter("gamma", ParameterTensor.Filled(new[] { 4 }, 0)));
    }
}
