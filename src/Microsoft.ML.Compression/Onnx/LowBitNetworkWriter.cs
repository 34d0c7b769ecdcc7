using System;
using System.Globalization;
using System.Linq;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Quantization.LowBit;
using DataType = Microsoft.ML.Compression.Onnx.Proto.TensorProto.Types.DataType;

namespace Microsoft.ML.Compression.Onnx;

/// <summary>
/// Writes a <see cref="LowBitNetwork"/> with its weights stored at their bit width, in standard operators only:
/// <list type="bullet">
/// <item>4 and 2 bits: an INT4 (opset 21) or INT2 (opset 25) Constant of signed codes, DequantizeLinear with the
/// per-channel step, plus half a step (the levels are odd multiples of half a step);</item>
/// <item>1 bit: a uint8 tensor of 8 bits per byte, unpacked with BitShift and BitwiseAnd (opset 18), centred to
/// ±0.5 and multiplied by the per-channel step.</item>
/// </list>
/// Sub-byte tensors are Constant nodes because ML.NET's OnnxTransformer refuses INT4/INT2 initializers. Quantized
/// activations get QuantizeLinear/DequantizeLinear pairs (<see cref="ActivationQdqWriter"/>).
/// </summary>
internal sealed class LowBitNetworkWriter : OnnxNetworkWriter
{
    private readonly LowBitNetwork _network;
    private ActivationQdqWriter? _activations;
    private string? _half, _shifts, _lowBit;

    public LowBitNetworkWriter(LowBitNetwork network) => _network = network;

    /// <summary>The lowest opset that has the operators and types <paramref name="bits"/>-bit weights need.</summary>
    public static int MinimumOpset(int bits) => bits switch { 1 => 18, 2 => 25, 4 => 21, _ => throw new ArgumentOutOfRangeException(nameof(bits)) };

    protected override string WeightInput(Layer layer, string parameterName, ParameterTensor value)
    {
        if (parameterName != "weight" || !_network.Weights.TryGetValue(layer.Name, out LowBitWeights? w))
            return base.WeightInput(layer, parameterName, value);
        _half ??= Builder.AddInitializer(OnnxTensors.FloatScalar("lowbit_half", 0.5f));
        string name = layer.Name;
        long[] dims = OnnxTensors.Dims(w.Shape);
        var channelShape = new long[w.Shape.Length];
        Array.Fill(channelShape, 1L);
        channelShape[0] = w.Channels;
        if (w.Bits == 1) return UnpackBits(w, name, dims);

        DataType type = w.Bits == 4 ? DataType.Int4 : DataType.Int2;
        int[] signed = Enumerable.Range(0, w.Codes.Length).Select(w.SignedCode).ToArray();
        string codes = Builder.AddConstant(OnnxTensors.Raw($"{name}.weight_codes", type, dims, SubBytePacking.Pack(signed, w.Bits), signed.Length));
        string steps = Builder.AddFloat($"{name}.weight_step", new long[] { w.Channels }, w.Steps);
        string dequantized = Builder.AddNode("DequantizeLinear", new[] { codes, steps }, $"{name}.weight_dequantized", OnnxAttributes.Int("axis", 0));
        string stepColumn = Builder.AddNode("Reshape", new[] { steps, Builder.AddInt64($"{name}.step_shape", new long[] { channelShape.Length }, channelShape) }, $"{name}.step_column");
        string halfStep = Builder.AddNode("Mul", new[] { stepColumn, _half }, $"{name}.half_step");
        return Builder.AddNode("Add", new[] { dequantized, halfStep }, $"{name}.weight");
    }

    private string UnpackBits(LowBitWeights w, string name, long[] dims)
    {
        _shifts ??= Builder.AddUInt8("bit_shifts", new long[] { 8 }, new byte[] { 0, 1, 2, 3, 4, 5, 6, 7 });
        _lowBit ??= Builder.AddUInt8("bit_mask", Array.Empty<long>(), new byte[] { 1 });
        byte[] packed = SubBytePacking.Pack(w.Codes.Select(c => (int)c).ToArray(), 1);
        string bytes = Builder.AddUInt8($"{name}.weight_bits", new long[] { packed.Length, 1 }, packed);
        string shifted = Builder.AddNode("BitShift", new[] { bytes, _shifts }, $"{name}.weight_shifted", OnnxAttributes.String("direction", "RIGHT"));
        string bits = Builder.AddNode("BitwiseAnd", new[] { shifted, _lowBit }, $"{name}.weight_bit");
        // [bytes, 8] row-major is bit order; the padding bits of the last byte are cut off.
        string flat = Builder.AddNode("Reshape", new[] { bits, Builder.AddInt64($"{name}.flat_shape", new long[] { 1 }, new long[] { -1 }) }, $"{name}.weight_bits_flat");
        if (packed.Length * 8 != w.Codes.Length)
            flat = Builder.AddNode("Slice", new[]
            {
                flat, Builder.AddInt64($"{name}.slice_start", new long[] { 1 }, new long[] { 0 }),
                Builder.AddInt64($"{name}.slice_end", new long[] { 1 }, new long[] { w.Codes.Length }),
            }, $"{name}.weight_bits_used");
        string values = Builder.AddNode("Cast", new[] { flat }, $"{name}.weight_bit_float", OnnxAttributes.Int("to", (int)DataType.Float));
        string centred = Builder.AddNode("Sub", new[] { values, _half! }, $"{name}.weight_sign");
        string rows = Builder.AddNode("Reshape", new[] { centred, Builder.AddInt64($"{name}.row_shape", new long[] { 2 }, new long[] { w.Channels, -1 }) }, $"{name}.weight_rows");
        string steps = Builder.AddFloat($"{name}.weight_step", new long[] { w.Channels, 1 }, w.Steps);
        string scaled = Builder.AddNode("Mul", new[] { rows, steps }, $"{name}.weight_scaled");
        return Builder.AddNode("Reshape", new[] { scaled, Builder.AddInt64($"{name}.weight_shape", new long[] { dims.Length }, dims) }, $"{name}.weight");
    }

    protected override string ActivationOutput(Layer? layer, string tensor) =>
        (_activations ??= new ActivationQdqWriter(Builder, _network.ActivationOf)).Write(layer, tensor);

    protected override void AddMetadata(OnnxGraphBuilder builder)
    {
        builder.SetMetadata(OnnxMetadataKeys.WeightBits, _network.WeightBits.ToString(CultureInfo.InvariantCulture));
        builder.SetMetadata(OnnxMetadataKeys.ActivationBits, _network.ActivationBits.ToString(CultureInfo.InvariantCulture));
        builder.SetMetadata(OnnxMetadataKeys.QuantizedLayers, string.Join(",", _network.Graph.Layers.Select(l => l.Name).Where(_network.Weights.ContainsKey)));
    }
}
