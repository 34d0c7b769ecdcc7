using System.Globalization;
using Microsoft.ML.Compression.Onnx;
using Microsoft.ML.Compression.Quantization;
using DataType = Microsoft.ML.Compression.Onnx.Proto.TensorProto.Types.DataType;

namespace Microsoft.ML.Compression.Compressed;

/// <summary>
/// One layer's 1-, 2- or 4-bit weights: a level code per weight (see <see cref="WeightLevels"/>) and a scale per
/// output channel. Weight i of channel c is <c>WeightLevels.Value(bits, code[i]) x Scales[c]</c>, computed as
/// <see cref="Decode"/> does. Stored at their bit width in standard ONNX: 4 and 2 bits as an INT4 (opset 21) or INT2
/// (opset 25) Constant of signed codes, cast to float, plus a half (the levels are odd multiples of half a step) and
/// times the per-channel step; 1 bit as a uint8 tensor of 8 bits per byte, unpacked with BitShift and
/// BitwiseAnd (opset 18), centred to ±0.5 and multiplied by the step. Sub-byte tensors are Constant nodes because
/// ML.NET's OnnxTransformer refuses INT4/INT2 initializers.
/// </summary>
public sealed class LevelWeights : WeightEncoding
{
    /// <summary>Creates the weights of a layer whose weight tensor has <paramref name="shape"/> (output channels first).</summary>
    public LevelWeights(int bits, int[] shape, byte[] codes, float[] scales) : base(shape)
    {
        WeightLevels.Validate(bits, nameof(bits));
        ArgumentNullException.ThrowIfNull(codes);
        ArgumentNullException.ThrowIfNull(scales);
        CheckFill(codes.Length, nameof(codes), scales);
        int levels = WeightLevels.Count(bits);
        if (codes.Any(c => c >= levels))
            throw new ArgumentException($"A code is outside 0..{levels - 1} for {bits}-bit weights.", nameof(codes));
        Bits = bits;
        Codes = codes;
        Scales = scales;
        Steps = scales.Select(s => WeightLevels.Spacing(bits) * s).ToArray();
    }

    /// <summary>Bits per weight: 1, 2 or 4.</summary>
    public override int Bits { get; }

    /// <summary>Level index (0 .. 2^bits - 1) of every weight, row-major.</summary>
    public byte[] Codes { get; }

    /// <summary>Per-output-channel scale s_c: the levels of channel c span [-s_c, s_c].</summary>
    public float[] Scales { get; }

    /// <summary>Per-output-channel distance between neighbouring weight values: spacing x scale (the exported dequantization scale).</summary>
    public float[] Steps { get; }

    /// <summary>Weights per output channel.</summary>
    public int PerChannel => Codes.Length / Shape[0];

    /// <summary>The code re-centred on zero as a signed integer (the stored INT4/INT2 value): code - 2^(bits-1).</summary>
    public int SignedCode(int index) => Codes[index] - (1 << (Bits - 1));

    /// <summary>
    /// The float weights: (signed code + 0.5) x step of the channel, evaluated in float in the order the exported
    /// graph evaluates it.
    /// </summary>
    public override float[] Decode()
    {
        var w = new float[Codes.Length];
        int perChannel = PerChannel;
        for (int i = 0; i < w.Length; i++)
        {
            float step = Steps[i / perChannel];
            w[i] = Bits == 1 ? (Codes[i] - 0.5f) * step : (SignedCode(i) + 0.5f) * step;
        }
        return w;
    }

    /// <summary>
    /// These weights times <paramref name="factors"/> (one per output channel, non-zero), exactly: the codes stay and
    /// the scales take the factors' magnitudes; a negative factor mirrors the channel's codes, whose levels are
    /// symmetric about zero. This is how a BatchNorm folds into low-bit weights without leaving their grid.
    /// </summary>
    public LevelWeights Scaled(float[] factors)
    {
        ArgumentNullException.ThrowIfNull(factors);
        if (factors.Length != Channels) throw new ArgumentException($"{factors.Length} factors given for {Channels} output channels.", nameof(factors));
        int perChannel = PerChannel, last = WeightLevels.Count(Bits) - 1;
        var codes = new byte[Codes.Length];
        for (int i = 0; i < codes.Length; i++)
            codes[i] = factors[i / perChannel] < 0 ? (byte)(last - Codes[i]) : Codes[i];
        return new LevelWeights(Bits, Shape, codes, Scales.Select((s, c) => s * MathF.Abs(factors[c])).ToArray());
    }

    /// <summary>
    /// Rounds <paramref name="weights"/> (output channels first) to the nearest level with per-channel scales chosen
    /// to minimise the squared rounding error (see <see cref="FitScales"/>): round-to-nearest quantization.
    /// </summary>
    public static LevelWeights RoundToNearest(int bits, int[] shape, float[] weights) =>
        RoundToNearest(bits, shape, weights, FitScales(bits, shape[0], weights));

    /// <summary>Rounds <paramref name="weights"/> to the nearest level of the given per-channel <paramref name="scales"/>.</summary>
    public static LevelWeights RoundToNearest(int bits, int[] shape, float[] weights, float[] scales)
    {
        int perChannel = weights.Length / shape[0];
        var codes = new byte[weights.Length];
        for (int i = 0; i < weights.Length; i++)
            codes[i] = WeightLevels.Nearest(bits, weights[i] / scales[i / perChannel]);
        return new LevelWeights(bits, shape, codes, scales);
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

    internal override int MinimumOpset => Bits switch { 1 => 18, 2 => 25, _ => 21 };

    // The decoding tensors and nodes get short numbered names and no node names (see OnnxGraphBuilder.ShortName);
    // the layer's own node, which reads the result, carries the layer's name.
    internal override string WriteWeight(OnnxLayerContext onnx, QuantParams? input)
    {
        if (Bits == 1) return WritePackedBits(onnx);
        OnnxGraphBuilder b = onnx.Builder;
        int[] signed = Enumerable.Range(0, Codes.Length).Select(SignedCode).ToArray();
        DataType type = Bits == 4 ? DataType.Int4 : DataType.Int2;
        string codes = b.AddShortConstant(OnnxTensors.Raw("weight_codes", type, OnnxTensors.Dims(Shape), SubBytePacking.Pack(signed, Bits), signed.Length));
        return WriteFoldedDecode(b, codes, "weight_step", Steps, offset: Half(onnx));
    }

    private static string Half(OnnxLayerContext onnx) => onnx.SharedConstant("lowbit_half", () => OnnxTensors.FloatScalar("lowbit_half", 0.5f));

    /// <summary>An int64 vector (a shape or slice bound), one initializer per distinct value in the model.</summary>
    private static string Int64Vector(OnnxGraphBuilder b, params long[] values) =>
        b.Shared("int64 " + string.Join(",", values.Select(v => v.ToString(CultureInfo.InvariantCulture))),
            () => b.AddShortInitializer(OnnxTensors.Int64Vector("shape", values)));

    private string WritePackedBits(OnnxLayerContext onnx)
    {
        OnnxGraphBuilder b = onnx.Builder;
        long[] dims = OnnxTensors.Dims(Shape);
        string shifts = onnx.SharedConstant("bit_shifts", () => OnnxTensors.UInt8("bit_shifts", new long[] { 8 }, new byte[] { 0, 1, 2, 3, 4, 5, 6, 7 }));
        string lowBit = onnx.SharedConstant("bit_mask", () => OnnxTensors.UInt8("bit_mask", Array.Empty<long>(), new byte[] { 1 }));
        byte[] packed = SubBytePacking.Pack(Codes.Select(c => (int)c).ToArray(), 1);
        string bytes = b.AddShortInitializer(OnnxTensors.UInt8("weight_bits", new long[] { packed.Length, 1 }, packed));
        string shifted = b.AddShortNode("BitShift", new[] { bytes, shifts }, OnnxAttributes.String("direction", "RIGHT"));
        string bits = b.AddShortNode("BitwiseAnd", new[] { shifted, lowBit });
        // [bytes, 8] row-major is bit order; the padding bits of the last byte are cut off.
        string flat = b.AddShortNode("Reshape", new[] { bits, Int64Vector(b, -1) });
        if (packed.Length * 8 != Codes.Length)
            flat = b.AddShortNode("Slice", new[] { flat, Int64Vector(b, 0), Int64Vector(b, Codes.Length) });
        string values = b.AddShortNode("Cast", new[] { flat }, OnnxAttributes.Int("to", (int)DataType.Float));
        string centred = b.AddShortNode("Sub", new[] { values, Half(onnx) });
        string rows = b.AddShortNode("Reshape", new[] { centred, Int64Vector(b, Channels, -1) });
        string steps = b.AddShortInitializer(OnnxTensors.Float("weight_step", new long[] { Channels, 1 }, Steps));
        string scaled = b.AddShortNode("Mul", new[] { rows, steps });
        return b.AddShortNode("Reshape", new[] { scaled, Int64Vector(b, dims) });
    }
}
