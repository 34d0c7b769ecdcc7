using System;
using System.Linq;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Quantization;
using Microsoft.ML.Compression.Tests.Onnx;
using Microsoft.ML.Compression.Zoo;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Compression.Tests.Quantization;

/// <summary>Where activations and weights are quantized, and the BatchNorm folding the plan relies on.</summary>
[TestClass]
public class QuantizationPlanTests
{
    [TestMethod]
    public void LeNetQuantizesAfterEachReluAndTheImage()
    {
        NetworkGraph lenet = NetworkZoo.LeNet5();
        CollectionAssert.AreEqual(new[] { "input", "relu1", "relu2", "relu3", "relu4" }, QuantizationPlan.ActivationPoints(lenet).ToArray());
        CollectionAssert.AreEqual(new[] { "conv1", "conv2", "fc1", "fc2", "fc3" }, QuantizationPlan.WeightLayers(lenet, null, "Keep").ToArray());
    }

    [TestMethod]
    public void ResNetQuantizesResidualInputsButNotTheSumBeforeItsRelu()
    {
        NetworkGraph folded = BatchNormFolding.Fold(TestWeights.FillRandom(NetworkZoo.ResNet20(), 1), out var foldedInto);
        Assert.AreEqual(21, foldedInto.Count, "19 conv+BN pairs plus 2 downsample pairs are folded");
        Assert.IsFalse(folded.Layers.OfType<BatchNorm2dLayer>().Any());
        var points = QuantizationPlan.ActivationPoints(folded);
        CollectionAssert.Contains(points.ToArray(), "s1b1_conv2"); // read by the Add
        CollectionAssert.Contains(points.ToArray(), "s2b1_down_conv");
        CollectionAssert.DoesNotContain(points.ToArray(), "s1b1_conv1"); // read only by a ReLU
        CollectionAssert.DoesNotContain(points.ToArray(), "s1b1_add");
        CollectionAssert.Contains(points.ToArray(), "gap");
        CollectionAssert.DoesNotContain(points.ToArray(), "flatten"); // keeps the grid of gap
        CollectionAssert.DoesNotContain(points.ToArray(), "fc"); // the logits stay float
    }

    [TestMethod]
    public void KeepFloatLayersAreCheckedByName()
    {
        NetworkGraph lenet = NetworkZoo.LeNet5();
        CollectionAssert.AreEqual(new[] { "conv2", "fc1", "fc2" }, QuantizationPlan.WeightLayers(lenet, new[] { "conv1", "fc3" }, "Keep").ToArray());
        var unknown = Assert.ThrowsExactly<ArgumentException>(() => QuantizationPlan.WeightLayers(lenet, new[] { "conv9" }, "KeepFloatLayers"));
        StringAssert.Contains(unknown.Message, "conv9");
        StringAssert.Contains(unknown.Message, "KeepFloatLayers");
        CollectionAssert.AreEqual(new[] { "relu1", "relu2", "relu3", "relu4" }, QuantizationPlan.ActivationPoints(lenet, new[] { "conv1" }).ToArray(),
            "the image is read only by the float conv1, so it is not quantized");
        var notWeighted = Assert.ThrowsExactly<ArgumentException>(() => QuantizationPlan.WeightLayers(lenet, new[] { "relu1" }, "KeepFloatLayers"));
        StringAssert.Contains(notWeighted.Message, "relu1");
    }

    [TestMethod]
    [DataRow("lenet5-bn", 2)]
    [DataRow("mobilenetv2", 17)] // a projection's BatchNorm feeds the next block's expansion directly (b3_expand reads b2_project_bn)
    public void FoldedConvolutionComputesConvolutionThenBatchNorm(string name, int pairs)
    {
        NetworkGraph net = TestWeights.FillRandom(name == "lenet5-bn" ? NetworkZoo.LeNet5(batchNorm: true) : NetworkZoo.MobileNetV2(), 3);
        NetworkGraph folded = BatchNormFolding.Fold(net, out var foldedInto);
        Assert.AreEqual(pairs, foldedInto.Count);
        Assert.AreEqual(net.Layers.Count - pairs, folded.Layers.Count);
        Assert.IsTrue(foldedInto.Values.All(conv => ((Conv2dLayer)folded[conv]).HasBias));
        Assert.IsFalse(folded.Layers.Any(l => l.Inputs.Any(foldedInto.ContainsKey)), "no layer reads a folded BatchNorm");

        float[] inputs = TestWeights.RandomInputs(16, net.InputSize, 4);
        using var a = new GraphModule(net);
        using var b = new GraphModule(folded);
        a.eval();
        b.eval();
        using var x = TorchSharp.torch.tensor(inputs, new long[] { 16, net.InputSize });
        using var ya = a.call(x);
        using var yb = b.call(x);
        Assert.IsTrue((ya - yb).abs().max().item<float>() < 1e-4f, "folding keeps the function");
    }
}
