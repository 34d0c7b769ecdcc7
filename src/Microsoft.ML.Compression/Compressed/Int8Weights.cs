using Microsoft.ML.Compression.Onnx;
using Microsoft.ML.Compression.Quantization;

namespace Microsoft.ML.Compression.Compressed;

/// <summary>
/// Symmetric per-output-channel int8 weights: weight i of channel c is <c>Values[i] x Scales[c]</c> with zero point 0.
/// Written as an int8 initializer behind DequantizeLinear (axis 0), the QDQ form ONNX Runtime fuses into integer
/// kernels (QLinearConv, QGemm); the bias then becomes int32 with scale input scale x weight scale. Behind a float
/// input (weight-only) it is cast to float and scaled instead, which ONNX Runtime folds into a float weight.
/// </summary>
/// <remarks>
/// <see cref="Quantize"/> rounds to ±<see cref="RoundedMax"/> (7 bits), not ±127. On x86 CPUs with AVX2 but without
/// VNNI, ONNX Runtime multiplies uint8 activations by int8 weights in pairs summed into int16 (vpmaddubsw), which
/// saturates once 255 (|w1| + |w2|) exceeds 32,767: with ±127 weights LeNet-5's int8 model agreed with its simulation
/// on only 990 of 1,000 images there, logits off by up to 32 output steps. With ±63 no pair can saturate, so the
/// exported model computes what was trained and simulated on every CPU. ONNX Runtime's own quantizer calls this
/// reduce_range.
/// </remarks>
public sealed class Int8Weights : WeightEncoding
{
    /// <summary>Largest stored magnitude an int8 weight may have (models written elsewhere may use all of it).</summary>
    public const int Max = 127;

    /// <summary>Largest magnitude <see cref="Quantize"/> rounds to (see the remarks).</summary>
    public const int RoundedMax = 63;

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
    /// Rounds float <paramref name="weights"/> of <paramref name="shape"/> per output channel with scale max |w| / 63
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
            scales[c] = maxAbs > 0 ? maxAbs / RoundedMax : 1f;
            for (int i = 0; i < perChannel; i++)
                values[c * perChannel + i] = (sbyte)Math.Clamp(Math.Round(w[i] / scales[c], MidpointRounding.ToEven), -RoundedMax, RoundedMax);
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

    internal override string WriteWeight(OnnxLayerContext onnx, QuantParams? input)
    {
        OnnxGraphBuilder b = onnx.Builder;
        string values = b.AddShortInitializer(OnnxTensors.Int8("weight", OnnxTensors.Dims(Shape), Values));
        // Weight-only (a float input, as in a mixed-precision model): no integer kernel can run the layer.
        if (input is null) return WriteFoldedDecode(b, values, "scale", Scales);
        var inputs = new List<string> { values, WeightScale(onnx) };
        // The zero point is 0, DequantizeLinear's default for an omitted one, so convolutions leave it out. ONNX
        // Runtime (1.31) fuses a Gemm into QGemm only when the weight's zero point is an input, so matrices keep it.
        if (Shape.Length == 2) inputs.Add(b.AddShortInitializer(OnnxTensors.Int8("zero_point", new long[] { Channels }, new sbyte[Channels])));
        return b.AddShortNode("DequantizeLinear", inputs, OnnxAttributes.Int("axis", 0));
    }

    // A bias is added to the int32 accumulator, so its scale is fixed by the input's and the weights': the model
    // computes it with a Mul of the two scales it stores anyway (ONNX Runtime folds the Mul before fusing the QDQ
    // nodes; single-precision products, as BiasScales computes them). Its zero point is 0, left out.
    internal override string WriteBias(OnnxLayerContext onnx, float[] bias, QuantParams input)
    {
        OnnxGraphBuilder b = onnx.Builder;
        string values = b.AddShortInitializer(OnnxTensors.Int32("bias", new long[] { Channels }, BiasValues(bias, BiasScales(input))));
        string scale = b.AddShortNode("Mul", new[] { WeightScale(onnx), ActivationQdqWriter.Scale(b, input.Scale) });
        return b.AddShortNode("DequantizeLinear", new[] { values, scale }, OnnxAttributes.Int("axis", 0));
    }

    /// <summary>The per-channel scales of the layer's weights, written once for the weight's and the bias's DequantizeLinear.</summary>
    private string WeightScale(OnnxLayerContext onnx) =>
        onnx.Builder.Shared($"weight scale {onnx.Layer.Name}", () => onnx.Builder.AddShortInitializer(OnnxTensors.Float("scale", new long[] { Channels }, Scales)));
}
