using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Quantization;

/// <summary>
/// Simulated ("fake") quantization written with TorchSharp ops: values are rounded onto the integer grid and mapped
/// back to floats, so a float network computes what the integer model will. Gradients use the straight-through
/// estimator: rounding passes the gradient unchanged, and for activations the gradient is zero outside the clamped
/// range (libtorch's fake_quantize kernels are not exposed by TorchSharp).
/// </summary>
/// <remarks>
/// Scalars are created and held explicitly here: TorchSharp passes a temporary Scalar's handle to libtorch without
/// keeping the Scalar alive, so on this hot path a garbage collection could free it mid-call.
/// </remarks>
public static class FakeQuantize
{
    private static readonly Scalar One = 1.ToScalar();

    /// <summary>Largest magnitude of a symmetric signed integer of <paramref name="bits"/> bits (127 for 8 bits).</summary>
    public static int SymmetricMax(int bits) => (1 << (bits - 1)) - 1;

    /// <summary>
    /// Largest magnitude weights of <paramref name="bits"/> bits are rounded to: <see cref="SymmetricMax"/>, except
    /// for 8 bits, which run on integer kernels and use <see cref="Compressed.Int8Weights.RoundedMax"/> (see there why).
    /// </summary>
    public static int WeightMax(int bits) => bits == 8 ? Compressed.Int8Weights.RoundedMax : SymmetricMax(bits);

    /// <summary>Activation fake quantization with uint8 parameters <paramref name="p"/>.</summary>
    public static Tensor Activation(Tensor x, QuantParams p) => Activation(x, p, batchRange: null);

    /// <summary>
    /// Activation fake quantization; <paramref name="batchRange"/> is the smallest and largest value of
    /// <paramref name="x"/> when known (a tracking quantizer has just measured them).
    /// </summary>
    internal static Tensor Activation(Tensor x, QuantParams p, (float Min, float Max)? batchRange)
    {
        using Scalar min = p.Min.ToScalar(), max = p.Max.ToScalar(), scale = p.Scale.ToScalar();
        if (x.requires_grad && batchRange is { } r && r.Min >= p.Min && r.Max <= p.Max)
        {
            // Every value is inside the grid's range, so the clamp would change nothing and pass every gradient:
            // skip it. libtorch's clamp backward costs several times the rest of the fake quantization here.
            using Tensor inside = x.detach();
            Tensor rounding = inside.div(scale).round_().mul_(scale).sub_(inside);
            return x.add(rounding, One);
        }
        // The clamp gives the gradient mask; the detached residual carries the rounding.
        Tensor clamped = x.clamp(min, max);
        if (!clamped.requires_grad) return clamped.div_(scale).round_().mul_(scale);
        // rounding error = round(c/s)*s - c, computed in place outside autograd, then added to c.
        using Tensor detached = clamped.detach();
        Tensor error = detached.div(scale).round_().mul_(scale).sub_(detached);
        return clamped.add(error, One);
    }

    /// <summary>
    /// Per-output-channel symmetric scales of a weight tensor [C, ...]: max |w| of each channel / <see cref="WeightMax"/>;
    /// a channel of zeros gets scale 1 (it quantizes to zeros whatever the scale).
    /// </summary>
    public static Tensor WeightScales(Tensor weight, int bits = 8)
    {
        using var _ = torch.no_grad();
        long[] dims = Enumerable.Range(1, (int)weight.dim() - 1).Select(d => (long)d).ToArray();
        Tensor maxAbs = weight.detach().abs().amax(dims);
        using Scalar qmax = WeightMax(bits).ToScalar(), zero = 0.ToScalar();
        using Tensor empty = maxAbs.eq(zero);
        return maxAbs.masked_fill_(empty, qmax).div_(qmax);
    }

    /// <summary>Per-channel symmetric weight fake quantization (zero point 0, values in ±<see cref="WeightMax"/>).</summary>
    public static Tensor WeightsPerChannel(Tensor weight, int bits = 8) => WeightsPerChannel(weight, WeightScales(weight, bits), bits);

    /// <summary>Per-channel symmetric weight fake quantization with given <paramref name="scales"/> [C].</summary>
    public static Tensor WeightsPerChannel(Tensor weight, Tensor scales, int bits = 8)
    {
        long[] shape = new long[weight.dim()];
        Array.Fill(shape, 1L);
        shape[0] = -1;
        Tensor s = scales.reshape(shape);
        using Scalar qmin = (-WeightMax(bits)).ToScalar(), qmax = WeightMax(bits).ToScalar();
        using Tensor detached = weight.detach();
        Tensor rounded = detached.div(s).round_().clamp_(qmin, qmax).mul_(s);
        return weight.requires_grad ? weight.add(rounded.sub_(detached), One) : rounded;
    }

    /// <summary>
    /// Bias fake quantization to int32 with scale <paramref name="inputScale"/> * weight scale of each channel, as
    /// integer kernels (QLinearConv, QGemm) add it to the int32 accumulator.
    /// </summary>
    public static Tensor Bias(Tensor bias, float inputScale, Tensor weightScales)
    {
        using Scalar input = inputScale.ToScalar();
        Tensor s = weightScales.mul(input);
        using Tensor detached = bias.detach();
        Tensor rounded = detached.div(s).round_().mul_(s);
        return bias.requires_grad ? bias.add(rounded.sub_(detached), One) : rounded;
    }
}
