using System;
using System.Linq;

namespace Microsoft.ML.Compression.Quantization.LowBit;

/// <summary>
/// One layer's low-bit weights: a level code per weight (see <see cref="WeightLevels"/>) and a scale per output
/// channel. Weight i of channel c is <c>WeightLevels.Value(bits, code[i]) x Scales[c]</c>, computed as
/// <see cref="Decode"/> does (the exported graph computes the same float operations).
/// </summary>
public sealed class LowBitWeights
{
    /// <summary>Creates the weights of a layer whose weight tensor has <paramref name="shape"/> (output channels first).</summary>
    public LowBitWeights(int bits, int[] shape, byte[] codes, float[] scales)
    {
        WeightLevels.Validate(bits, nameof(bits));
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(codes);
        ArgumentNullException.ThrowIfNull(scales);
        long count = shape.Aggregate(1L, (a, d) => a * d);
        if (codes.Length != count)
            throw new ArgumentException($"{codes.Length} codes do not fill a weight of shape [{string.Join(",", shape)}] ({count} values).", nameof(codes));
        if (scales.Length != shape[0])
            throw new ArgumentException($"{scales.Length} scales given for {shape[0]} output channels.", nameof(scales));
        int levels = WeightLevels.Count(bits);
        if (codes.Any(c => c >= levels))
            throw new ArgumentException($"A code is outside 0..{levels - 1} for {bits}-bit weights.", nameof(codes));
        if (scales.Any(s => !(s > 0) || float.IsInfinity(s)))
            throw new ArgumentException("Channel scales must be positive finite numbers.", nameof(scales));
        Bits = bits;
        Shape = (int[])shape.Clone();
        Codes = codes;
        Scales = scales;
        Steps = scales.Select(s => WeightLevels.Spacing(bits) * s).ToArray();
    }

    /// <summary>Bits per weight: 1, 2 or 4.</summary>
    public int Bits { get; }

    /// <summary>Shape of the weight tensor, output channels first.</summary>
    public int[] Shape { get; }

    /// <summary>Level index (0 .. 2^bits - 1) of every weight, row-major.</summary>
    public byte[] Codes { get; }

    /// <summary>Per-output-channel scale s_c: the levels of channel c span [-s_c, s_c].</summary>
    public float[] Scales { get; }

    /// <summary>Per-output-channel distance between neighbouring weight values: spacing x scale (the exported dequantization scale).</summary>
    public float[] Steps { get; }

    /// <summary>Output channels.</summary>
    public int Channels => Shape[0];

    /// <summary>Weights per output channel.</summary>
    public int PerChannel => Codes.Length / Shape[0];

    /// <summary>The code re-centred on zero as a signed integer (the stored INT4/INT2 value): code - 2^(bits-1).</summary>
    public int SignedCode(int index) => Codes[index] - (1 << (Bits - 1));

    /// <summary>
    /// The float weights: (signed code + 0.5) x step of the channel, evaluated in float in the order the exported
    /// graph evaluates it.
    /// </summary>
    public float[] Decode()
    {
        var w = new float[Codes.Length];
        int perChannel = PerChannel;
        for (int i = 0; i < w.Length; i++)
        {
            float step = Steps[i / perChannel];
            w[i] = Bits == 1 ? (Codes[i] - 0.5f) * step : SignedCode(i) * step + step * 0.5f;
        }
        return w;
    }

    /// <summary>Bytes of the codes as stored: ceil(weights x bits / 8).</summary>
    public long CodeBytes => ((long)Codes.Length * Bits + 7) / 8;

    /// <summary>
    /// Rounds <paramref name="weights"/> (output channels first) to the nearest level with per-channel scales chosen
    /// to minimise the squared rounding error (see <see cref="FitScales"/>): round-to-nearest quantization.
    /// </summary>
    public static LowBitWeights RoundToNearest(int bits, int[] shape, float[] weights) =>
        RoundToNearest(bits, shape, weights, FitScales(bits, shape[0], weights));

    /// <summary>Rounds <paramref name="weights"/> to the nearest level of the given per-channel <paramref name="scales"/>.</summary>
    public static LowBitWeights RoundToNearest(int bits, int[] shape, float[] weights, float[] scales)
    {
        int perChannel = weights.Length / shape[0];
        var codes = new byte[weights.Length];
        for (int i = 0; i < weights.Length; i++)
            codes[i] = WeightLevels.Nearest(bits, weights[i] / scales[i / perChannel]);
        return new LowBitWeights(bits, shape, codes, scales);
    }

    /// <summary>
    /// Per-channel scales minimising the squared error of rounding to the levels: for 1 bit the mean |w| (the exact
    /// optimum of sign quantization); for more bits the best of 100 candidates between 1% and 100% of max |w|.
    /// A channel of zeros gets scale 1.
    /// </summary>
    public static float[] FitScales(int bits, int channels, float[] weights)
    {
        WeightLevels.Validate(bits, nameof(bits));
        int perChannel = weights.Length / channels;
        var scales = new float[channels];
        for (int c = 0; c < channels; c++)
        {
            var w = new ReadOnlySpan<float>(weights, c * perChannel, perChannel);
            float maxAbs = 0, sumAbs = 0;
            foreach (float v in w)
            {
                maxAbs = MathF.Max(maxAbs, MathF.Abs(v));
                sumAbs += MathF.Abs(v);
            }
            if (maxAbs == 0) { scales[c] = 1; continue; }
            if (bits == 1) { scales[c] = sumAbs / perChannel; continue; }
            float best = maxAbs;
            double bestError = double.MaxValue;
            for (int k = 1; k <= 100; k++)
            {
                float s = maxAbs * k / 100f;
                double error = 0;
                foreach (float v in w)
                {
                    float q = WeightLevels.Value(bits, WeightLevels.Nearest(bits, v / s)) * s;
                    error += (q - v) * (q - v);
                }
                if (error < bestError) { bestError = error; best = s; }
            }
            scales[c] = best;
        }
        return scales;
    }
}
