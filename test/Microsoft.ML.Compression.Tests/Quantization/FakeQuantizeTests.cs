using System;
using System.Linq;
using Microsoft.ML.Compression.Quantization;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Tests.Quantization;

/// <summary>Fake quantization on values worked out by hand, and its straight-through gradients.</summary>
[TestClass]
public class FakeQuantizeTests
{
    [TestMethod]
    public void RangeIsNudgedToContainZero()
    {
        var p = QuantParams.FromRange(-1f, 3f);
        Assert.AreEqual(4f / 255f, p.Scale, 1e-9f);
        Assert.AreEqual(64, p.ZeroPoint); // round(1 / (4/255)) = round(63.75)
        Assert.AreEqual(0f, p.Dequantize(p.Quantize(0f)), "zero is exact");

        var positive = QuantParams.FromRange(2f, 5f); // widened to [0, 5]
        Assert.AreEqual(0, positive.ZeroPoint);
        Assert.AreEqual(5f / 255f, positive.Scale, 1e-9f);

        var negative = QuantParams.FromRange(-3f, -1f); // widened to [-3, 0]
        Assert.AreEqual(255, negative.ZeroPoint);
        Assert.AreEqual(new QuantParams(1f, 0), QuantParams.FromRange(0f, 0f));
        Assert.ThrowsExactly<ArgumentException>(() => QuantParams.FromRange(float.NaN, 1f));
    }

    [TestMethod]
    public void ActivationValuesMatchHandComputation()
    {
        var p = new QuantParams(0.5f, 2); // grid -1.0, -0.5, ..., 126.5
        using var x = torch.tensor(new[] { -3f, -1f, -0.74f, -0.26f, 0.25f, 0.75f, 10.1f, 200f });
        float[] y = FakeQuantize.Activation(x, p).data<float>().ToArray();
        // -3 clamps to -1; 0.25/0.5 = 0.5 rounds to even 0; 0.75/0.5 = 1.5 rounds to even 2 -> 1.0; 200 clamps to 126.5
        CollectionAssert.AreEqual(new[] { -1f, -1f, -0.5f, -0.5f, 0f, 1f, 10f, 126.5f }, y);
        for (int i = 0; i < y.Length; i++)
            Assert.AreEqual(y[i], p.Dequantize(p.Quantize(x[i].item<float>())), 1e-6f, "tensor and scalar paths agree");
    }

    [TestMethod]
    public void ActivationGradientPassesOnlyInsideTheRange()
    {
        var p = new QuantParams(0.1f, 10); // [-1.0, 24.5]
        using var x = torch.tensor(new[] { -2f, -0.33f, 0.77f, 30f }, requires_grad: true);
        FakeQuantize.Activation(x, p).sum().backward();
        CollectionAssert.AreEqual(new[] { 0f, 1f, 1f, 0f }, x.grad!.data<float>().ToArray());
    }

    [TestMethod]
    public void KnownInRangeBatchSkipsTheClampWithIdenticalValuesAndGradients()
    {
        var p = new QuantParams(0.1f, 10); // [-1.0, 24.5]
        torch.random.manual_seed(3);
        using var data = torch.rand(1000).mul(25.4).sub(1.0); // inside [-1.0, 24.4]
        (float[] Values, float[] Gradient) Run((float, float)? range)
        {
            using var x = data.clone().requires_grad_(true);
            using Tensor y = FakeQuantize.Activation(x, p, range);
            using Tensor loss = y.mul(y).sum(); // a gradient that depends on the values
            loss.backward();
            return (y.data<float>().ToArray(), x.grad!.data<float>().ToArray());
        }
        var clamped = Run(null);
        var (lo, hi) = (data.min().item<float>(), data.max().item<float>());
        var fast = Run((lo, hi));
        CollectionAssert.AreEqual(clamped.Values, fast.Values);
        CollectionAssert.AreEqual(clamped.Gradient, fast.Gradient);

        // A batch reaching outside the range keeps the clamp's mask.
        using var outside = torch.tensor(new[] { -2f, -0.33f, 0.77f, 30f }, requires_grad: true);
        FakeQuantize.Activation(outside, p, (-2f, 30f)).sum().backward();
        CollectionAssert.AreEqual(new[] { 0f, 1f, 1f, 0f }, outside.grad!.data<float>().ToArray());
    }

    [TestMethod]
    public void EmaQuantizerMasksGradientsOfValuesOutsideItsRange()
    {
        using var ema = new ActivationQuantizer("ema", RangeTracking.Ema, 0.99) { Quantizing = true };
        ema.train();
        using (var first = torch.tensor(new[] { -1f, 0.5f, 2f })) ema.call(first);
        // The EMA moves the range only 1 % towards this batch, so -10 and 10 lie outside it.
        using var x = torch.tensor(new[] { -10f, 0.25f, 1f, 10f }, requires_grad: true);
        ema.call(x).sum().backward();
        CollectionAssert.AreEqual(new[] { 0f, 1f, 1f, 0f }, x.grad!.data<float>().ToArray());
    }

    [TestMethod]
    public void WeightsArePerChannelSymmetric()
    {
        using var w = torch.tensor(new[] { 0.3f, -1.0f, 0.25f, 2.0f, 0f, -0.03f }, new long[] { 2, 3 }, requires_grad: true);
        float[] scales = FakeQuantize.WeightScales(w).data<float>().ToArray();
        // 8-bit weights use ±63, so no pair of products overflows int16 in x86 AVX2 integer kernels.
        Assert.AreEqual(1f / 63f, scales[0], 1e-9f);
        Assert.AreEqual(2f / 63f, scales[1], 1e-9f);

        Tensor q = FakeQuantize.WeightsPerChannel(w);
        float[] values = q.data<float>().ToArray();
        // channel 0: 0.3*63 = 18.9 -> 19, 0.25*63 = 15.75 -> 16; channel 1: -0.03*31.5 = -0.945 -> -1
        float[] expected = { 19 / 63f, -1f, 16 / 63f, 2f, 0f, -2f / 63f };
        for (int i = 0; i < expected.Length; i++) Assert.AreEqual(expected[i], values[i], 1e-6f, $"element {i}");

        q.sum().backward(); // straight-through: the gradient reaches the float weights unchanged
        CollectionAssert.AreEqual(Enumerable.Repeat(1f, 6).ToArray(), w.grad!.data<float>().ToArray());
    }

    [TestMethod]
    public void ZeroChannelGetsUnitScale()
    {
        using var w = torch.zeros(3, 4);
        CollectionAssert.AreEqual(new[] { 1f, 1f, 1f }, FakeQuantize.WeightScales(w).data<float>().ToArray());
        Assert.AreEqual(0f, FakeQuantize.WeightsPerChannel(w).abs().max().item<float>());
    }

    [TestMethod]
    public void BiasUsesInputTimesWeightScale()
    {
        using var b = torch.tensor(new[] { 0.1234f, -0.5f });
        using var scales = torch.tensor(new[] { 0.01f, 0.02f });
        float[] q = FakeQuantize.Bias(b, 0.5f, scales).data<float>().ToArray();
        Assert.AreEqual(MathF.Round(0.1234f / 0.005f) * 0.005f, q[0], 1e-7f); // 24.68 -> 25 steps of 0.005
        Assert.AreEqual(-0.5f, q[1], 1e-7f); // exactly -50 steps of 0.01
    }

    [TestMethod]
    public void TheRangeOfAMapIsTheSameInEveryMemoryLayout()
    {
        // Extremes placed at known positions of a [2, 16, 5, 5] map, read back from the managed array.
        var values = new float[2 * 16 * 5 * 5];
        var random = new Random(7);
        for (int i = 0; i < values.Length; i++) values[i] = (float)random.NextDouble() * 2 - 1;
        values[734] = -3.5f;
        values[17] = 4.25f;
        using var nchw = torch.tensor(values, new long[] { 2, 16, 5, 5 });
        using var channelsLast = nchw.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);
        using var strided = nchw.slice(1, 1, 16, 2); // every other channel: not contiguous in any layout
        Assert.IsFalse(channelsLast.is_contiguous());
        Assert.AreEqual((-3.5f, 4.25f), ActivationQuantizer.RangeOf(nchw));
        Assert.AreEqual((-3.5f, 4.25f), ActivationQuantizer.RangeOf(channelsLast));

        // Index 734 is channel 734 / 25 % 16 = 13 (odd), index 17 channel 0 (even): the odd channels hold the minimum only.
        float[] odd = Enumerable.Range(0, values.Length).Where(i => i / 25 % 16 % 2 == 1).Select(i => values[i]).ToArray();
        Assert.AreEqual((odd.Min(), odd.Max()), ActivationQuantizer.RangeOf(strided));
        Assert.AreEqual(-3.5f, odd.Min());
    }

    [TestMethod]
    public void MinMaxAndEmaTracking()
    {
        using var minMax = new ActivationQuantizer("mm", RangeTracking.MinMax, 0.999);
        using var ema = new ActivationQuantizer("ema", RangeTracking.Ema, 0.9);
        minMax.train();
        ema.train();
        foreach (var (lo, hi) in new[] { (-1f, 2f), (-0.5f, 4f) })
        {
            using var batch = torch.tensor(new[] { lo, 0.3f, hi });
            minMax.call(batch); // returns its input while not quantizing
            ema.call(batch);
        }
        Assert.AreEqual(QuantParams.FromRange(-1f, 4f), minMax.Parameters);
        // First batch sets the range; the second moves it by 10 %.
        Assert.AreEqual(QuantParams.FromRange(0.9f * -1f + 0.1f * -0.5f, 0.9f * 2f + 0.1f * 4f), ema.Parameters);

        ema.eval(); // evaluation neither tracks nor changes the range
        using (var outlier = torch.tensor(new[] { -100f, 100f })) ema.call(outlier);
        Assert.AreEqual(QuantParams.FromRange(0.9f * -1f + 0.1f * -0.5f, 0.9f * 2f + 0.1f * 4f), ema.Parameters);
    }

    [TestMethod]
    public void PercentileClipsTheRarestValues()
    {
        using var collector = new RangeCollector("c");
        using var values = torch.arange(0, 10000, dtype: ScalarType.Float32); // 0..9999, one of each
        collector.call(values); // a collector passes its input through
        collector.StartHistogram(2048);
        collector.call(values);
        (float lo, float hi) = collector.Percentiles(99.0);
        Assert.AreEqual(100f, lo, 10f);
        Assert.AreEqual(9900f, hi, 10f);
        Assert.AreEqual((0f, 9999f), (collector.Min, collector.Max));
    }
}
