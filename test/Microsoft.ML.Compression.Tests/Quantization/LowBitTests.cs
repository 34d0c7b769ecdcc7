using System;
using System.Linq;
using Microsoft.ML.Compression.Compressed;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Onnx;
using Microsoft.ML.Compression.Quantization.LowBit;
using Microsoft.ML.Compression.Quantization.Slb;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Tests.Quantization;

/// <summary>The pieces of low-bit quantization: value sets, packing, rounding, SLB's soft and hard weights and its schedule.</summary>
[TestClass]
public class LowBitTests
{
    [TestMethod]
    public void ValueSetsAreSlbs()
    {
        CollectionAssert.AreEqual(new[] { -1f, 1f }, WeightLevels.Values(1));
        float[] two = WeightLevels.Values(2);
        Assert.AreEqual(4, two.Length);
        foreach (var (actual, expected) in two.Zip(new[] { -1f, -1f / 3, 1f / 3, 1f }))
            Assert.AreEqual(expected, actual, 1e-6f);
        float[] four = WeightLevels.Values(4);
        Assert.AreEqual(16, four.Length);
        for (int k = 0; k < 16; k++) Assert.AreEqual(-1 + 2f * k / 15, four[k], 1e-6f, $"level {k}");
        Assert.IsFalse(four.Contains(0f), "no level is zero");
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    [DataRow(4)]
    public void NearestPicksTheClosestLevel(int bits)
    {
        float[] levels = WeightLevels.Values(bits);
        var random = new Random(bits);
        for (int i = 0; i < 1000; i++)
        {
            float x = (float)(random.NextDouble() * 3 - 1.5);
            int expected = Enumerable.Range(0, levels.Length).OrderBy(k => MathF.Abs(levels[k] - x)).First();
            Assert.AreEqual(MathF.Abs(levels[expected] - x), MathF.Abs(levels[WeightLevels.Nearest(bits, x)] - x), 1e-6f, $"x = {x}");
        }
    }

    [TestMethod]
    [DataRow(3)]
    [DataRow(0)]
    [DataRow(8)]
    public void OtherBitWidthsAreRefused(int bits)
    {
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => WeightLevels.Values(bits));
        StringAssert.Contains(e.Message, "1, 2 or 4");
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    [DataRow(4)]
    public void PackingRoundTripsEveryValue(int bits)
    {
        int min = bits == 1 ? 0 : -(1 << (bits - 1)), max = bits == 1 ? 1 : (1 << (bits - 1)) - 1;
        var random = new Random(7);
        foreach (int count in new[] { 1, 7, 8, 9, 150, 2401 })
        {
            int[] values = Enumerable.Range(0, count).Select(i => i < 2 ? (i == 0 ? min : max) : random.Next(min, max + 1)).ToArray();
            byte[] packed = SubBytePacking.Pack(values, bits);
            Assert.AreEqual((count * bits + 7) / 8, packed.Length, $"{count} values of {bits} bits");
            CollectionAssert.AreEqual(values, SubBytePacking.Unpack(packed, bits, count));
        }
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => SubBytePacking.Pack(new[] { max + 1 }, bits));
    }

    [TestMethod]
    public void PackingUsesOnnxsLayouts()
    {
        CollectionAssert.AreEqual(new byte[] { 0x8F }, SubBytePacking.Pack(new[] { -1, -8 }, 4), "INT4: first value in the low nibble");
        CollectionAssert.AreEqual(new byte[] { 0b_01_10_11_00 }, SubBytePacking.Pack(new[] { 0, -1, -2, 1 }, 2), "INT2: x0 | x1 << 2 | x2 << 4 | x3 << 6");
        CollectionAssert.AreEqual(new byte[] { 0b_0000_0101, 0b_1 }, SubBytePacking.Pack(new[] { 1, 0, 1, 0, 0, 0, 0, 0, 1 }, 1), "1 bit: least significant first");
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    [DataRow(4)]
    public void RoundToNearestDecodesOntoScaledLevels(int bits)
    {
        var random = new Random(bits);
        int[] shape = { 4, 3, 3, 3 };
        float[] w = Enumerable.Range(0, 108).Select(_ => (float)(random.NextDouble() * 2 - 1) * 0.3f).ToArray();
        LevelWeights q = LevelWeights.RoundToNearest(bits, shape, w);
        float[] decoded = q.Decode();
        float[] levels = WeightLevels.Values(bits);
        double error = 0, naive = 0;
        for (int i = 0; i < w.Length; i++)
        {
            float s = q.Scales[i / 27];
            Assert.AreEqual(levels[q.Codes[i]] * s, decoded[i], 1e-6f);
            error += Math.Pow(decoded[i] - w[i], 2);
            naive += Math.Pow(levels[WeightLevels.Nearest(bits, w[i] / w.Skip(i / 27 * 27).Take(27).Max(MathF.Abs))] * w.Skip(i / 27 * 27).Take(27).Max(MathF.Abs) - w[i], 2);
        }
        Assert.IsTrue(error <= naive + 1e-9, $"fitted scales ({error}) are no worse than max-abs scales ({naive})");
        Assert.AreEqual((108 * bits + 7) / 8, q.StoredBytes);
    }

    [TestMethod]
    public void TemperatureFollowsGoldenSticksSchedule()
    {
        // 10 epochs, start 1, from epoch 2 to 6 times 1.2 per epoch, hard from epoch 6.
        Assert.AreEqual(1, SlbTemperatureSchedule.TemperatureAt(0, 10, 1, 0.2, 0.6, 1.2), 1e-12);
        Assert.AreEqual(1, SlbTemperatureSchedule.TemperatureAt(2, 10, 1, 0.2, 0.6, 1.2), 1e-12);
        Assert.AreEqual(1.2 * 1.2, SlbTemperatureSchedule.TemperatureAt(4, 10, 1, 0.2, 0.6, 1.2), 1e-12);
        Assert.AreEqual(Math.Pow(1.2, 4), SlbTemperatureSchedule.TemperatureAt(6, 10, 1, 0.2, 0.6, 1.2), 1e-12);
        Assert.AreEqual(Math.Pow(1.2, 4), SlbTemperatureSchedule.TemperatureAt(9.5, 10, 1, 0.2, 0.6, 1.2), 1e-12, "constant after the end");
        Assert.AreEqual(2 * Math.Pow(3, 0.5), SlbTemperatureSchedule.TemperatureAt(1.5, 5, 2, 0.2, 0.6, 3), 1e-12, "fractional epochs");
        Assert.IsFalse(SlbTemperatureSchedule.IsHardAt(5.99, 10, 0.6));
        Assert.IsTrue(SlbTemperatureSchedule.IsHardAt(6, 10, 0.6));
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    [DataRow(4)]
    public void SlbWeightsStartNearTheTrainedOnesAndHardenToTheNearestLevel(int bits)
    {
        torch.random.manual_seed(1);
        var layer = new Conv2dLayer("conv", NetworkGraph.InputName, 3, 8, 3, bias: false);
        using var conv = nn.Conv2d(3, 8, 3, bias: false);
        float[] trained = conv.weight!.detach().data<float>().ToArray();
        float[] scales = LevelWeights.FitScales(bits, 8, trained);
        using var slb = new SlbWeightModule(layer, conv, bits, scales, SlbLogitInitialization.Pretrained);
        LevelWeights rtn = LevelWeights.RoundToNearest(bits, layer.ParameterShape("weight"), trained, scales);

        CollectionAssert.AreEqual(rtn.Codes, slb.Codes(), "the highest logit is the nearest level");
        using var x = torch.randn(2, 3, 6, 6);
        slb.train();
        using Tensor soft = slb.call(x);
        slb.Temperature = 1000;
        using Tensor sharp = slb.call(x);
        slb.eval();
        using Tensor hard = slb.call(x);
        using Tensor expected = nn.functional.conv2d(x, torch.tensor(rtn.Decode(), new long[] { 8, 3, 3, 3 }));
        Assert.IsTrue(hard.allclose(expected, 1e-5, 1e-5), "eval mode uses the hard weights");
        Assert.IsTrue(sharp.allclose(hard, 1e-4, 1e-4), "a high temperature makes the softmax one-hot");
        Assert.IsFalse(soft.allclose(hard, 1e-3, 1e-3), "at temperature 1 the weights are soft");
        Assert.IsFalse(conv.weight!.requires_grad, "the logits replace the float weights");
        Assert.AreEqual(1, slb.parameters().Count(p => p.requires_grad));
    }

    [TestMethod]
    public void SlbLogitsReceiveGradientsOnlyWhileSoft()
    {
        var layer = new LinearLayer("fc", NetworkGraph.InputName, 5, 4);
        using var linear = nn.Linear(5, 4);
        using var slb = new SlbWeightModule(layer, linear, 2, LevelWeights.FitScales(2, 4, linear.weight!.detach().data<float>().ToArray()), SlbLogitInitialization.Random);
        slb.train();
        Parameter logits = slb.parameters().Single(p => p.requires_grad && p.shape.Length == 2 && p.shape[1] == 4);
        slb.call(torch.randn(3, 5)).sum().backward();
        Assert.IsTrue(logits.grad!.abs().sum().item<float>() > 0);
        logits.grad!.zero_();
        slb.Hard = true;
        slb.call(torch.randn(3, 5)).sum().backward();
        Assert.AreEqual(0f, logits.grad!.abs().sum().item<float>(), "hard weights are argmax: no gradient to the logits");
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    [DataRow(4)]
    public void ScaledWeightsDecodeToTheWeightsTimesTheirChannelsFactor(int bits)
    {
        var random = new Random(bits);
        int[] shape = { 3, 2, 3, 3 };
        float[] w = Enumerable.Range(0, 54).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        LevelWeights levels = LevelWeights.RoundToNearest(bits, shape, w);
        float[] factors = { 0.7f, -2.5f, 1e-3f }; // a BatchNorm's gamma may be negative
        float[] scaled = levels.Scaled(factors).Decode(), decoded = levels.Decode();
        for (int i = 0; i < w.Length; i++)
            Assert.AreEqual(decoded[i] * factors[i / 18], scaled[i], 1e-6f * Math.Abs(decoded[i] * factors[i / 18]) + 1e-9f, $"weight {i}");
        Assert.IsTrue(levels.Scaled(factors).Scales.All(s => s > 0), "scales stay positive");
        Assert.ThrowsExactly<ArgumentException>(() => levels.Scaled(new[] { 1f, 1f }));
    }
}
