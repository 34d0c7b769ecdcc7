using Microsoft.ML.Compression.Onnx;
using Microsoft.ML.Compression.Quantization;

namespace Microsoft.ML.Compression.Compressed;

/// <summary>
/// Symmetric per-output-channel int8 weights: weight i of channel c is <c>Values[i] x Scales[c]</c> with values in
/// ±127 and zero point 0. Written as an int8 initializer behind DequantizeLinear (axis 0), the QDQ form ONNX Runtime
/// fuses into integer kernels (QLinearConv, QGemm); the bias then becomes int32 with scale input scale x weight scale.
/// </summary>
public sealed class Int8Weights : WeightEncoding
{
    /// <summary>Largest stored magnitude.</summary>
    public const int Max = 127;

    internal const int Bits8 = 8;

    /// <summary>Creates the weights of a tensor of <paramref name="shape"/> from its integer values and per-channel scales.</summary>
    public Int8Weights(int[] shape, sbyte[] values, float[] scales) : base(shape)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(scales);
        CheckFill(values.Length, nameof(values), scales);
        if (values.Any(v => v < -Max))
            throw new ArgumentException($"Symmetric int8 values lie in -{Max}..{Max}; -128 is not used.", nameof(values));
        Values = values;
        Scales = scales;
    }

    /// <inheritdoc />
    public override int Bits => Bits8;

    /// <summary>The integer weights, row-major.</summary>
    public sbyte[] Values { get; }

    /// <summary>Per-output-channel scales.</summary>
    public float[] Scales { get; }

    /// <summary>
    /// Rounds float <paramref name="weights"/> of <paramref name="shape"/> per output channel with scale max |w| / 127
    /// (1 for a channel of zeros), halves to even, as SimQAT's fake quantization does.
    /// </summary>
    public static Int8Weights Quantize(int[] shape, float[] weights)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(weights);
        int channels = shape[0], perChannel = weights.Length / channels;
        var scales = new float[channels];
        var values = new sbyte[weights.Length];
        for (int c = 0; c < channels; c++)
        {
            var w = new ReadOnlySpan<float>(weights, c * perChannel, perChannel);
            float maxAbs = 0;
            foreach (float v in w) maxAbs = MathF.Max(maxAbs, MathF.Abs(v));
            scales[c] = maxAbs > 0 ? maxAbs / Max : 1f;
            for (int i = 0; i < perChannel; i++)
                values[c * perChannel + i] = (sbyte)Math.Clamp(Math.Round(w[i] / scales[c], MidpointRounding.ToEven), -Max, Max);
        }
        return new Int8Weights(shape, values, scales);
    }

    /// <inheritdoc />
    public override float[] Decode()
    {
        var w = new float[Values.Length];
        int perChannel = Values.Length / Channels;
        for (int i = 0; i < w.Length; i++) w[i] = Values[i] * Scales[i / perChannel];
        return w;
    }

    /// <summary>The scale of each channel's bias: input scale x weight scale (what the int32 accumulator counts in).</summary>
    private float[] BiasScales(QuantParams input) => Scales.Select(s => s * input.Scale).ToArray();

    private static int[] BiasValues(float[] bias, float[] scales) =>
        bias.Select((b, c) => (int)Math.Clamp(Math.Round(b / scales[c], MidpointRounding.ToEven), int.MinValue, int.MaxValue)).ToArray();

    internal override float[] RoundBias(float[] bias, QuantParams input)
    {
        float[] scales = BiasScales(input);
        return BiasValues(bias, scales).Select((q, c) => q * scales[c]).ToArray();
    }

    internal override string WriteWeight(OnnxLayerContext onnx)
    {
        string name = onnx.Layer.Name;
        long[] channels = { Channels };
        string values = onnx.Builder.AddInt8($"{name}.weight_quantized", OnnxTensors.Dims(Shape), Values);
        string scale = onnx.Builder.AddFloat($"{name}.weight_scale", channels, Scales);
        // The zero point is 0, DequantizeLinear's default for an omitted one, so convolutions leave it out. ONNX
        // Runtime (1.31) fuses a Gemm into QGemm only when the weight's zero point is an input, so matrices keep it.
        var inputs = new List<string> { values, scale };
        if (Shape.Length == 2) inputs.Add(onnx.Builder.AddInt8($"{name}.weight_zero_point", channels, new sbyte[Channels]));
        return onnx.Builder.AddNode("DequantizeLinear", inputs, $"{name}.weight", OnnxAttributes.Int("axis", 0));
    }

    // A bias is added to the int32 accumulator, so its scale is fixed by the input's and the weights'; its zero point
    // is 0, left out (fusion moves the int32 values into the integer kernel and drops this node).
    internal override string WriteBias(OnnxLayerContext onnx, float[] bias, QuantParams input)
    {
        string name = onnx.Layer.Name;
        long[] channels = { Channels };
        float[] scales = BiasScales(input);
        string values = onnx.Builder.AddInt32($"{name}.bias_quantized", channels, BiasValues(bias, scales));
        string scale = onnx.Builder.AddFloat($"{name}.bias_scale", channels, scales);
        return onnx.Builder.AddNode("DequantizeLinear", new[] { values, scale }, $"{name}.bias", OnnxAttributes.Int("axis", 0));
    }
}
