using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Onnx;
using Microsoft.ML.Compression.Quantization;
using DataType = Microsoft.ML.Compression.Onnx.Proto.TensorProto.Types.DataType;

namespace Microsoft.ML.Compression.Compressed;

/// <summary>
/// How one layer's weight tensor is stored in a compressed model: its stored bit width, the float values the model
/// computes with (<see cref="Decode"/>), and the ONNX nodes that turn the stored form back into those values. A layer
/// with no encoding keeps 32-bit float weights. A new storage format is one class deriving from this.
/// </summary>
public abstract class WeightEncoding
{
    /// <summary>Creates an encoding of a weight tensor of <paramref name="shape"/> (output channels first).</summary>
    private protected WeightEncoding(int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Length == 0 || shape.Any(d => d <= 0))
            throw new ArgumentException($"A weight shape needs positive dimensions, got {Layer.Format(shape)}.", nameof(shape));
        Shape = (int[])shape.Clone();
    }

    /// <summary>
    /// Checks what every encoding stores: <paramref name="valueCount"/> values, one per weight, and one positive finite
    /// scale per output channel.
    /// </summary>
    private protected void CheckFill(int valueCount, string valuesName, float[] scales)
    {
        if (valueCount != Count)
            throw new ArgumentException($"{valueCount} {valuesName} do not fill a weight of shape {Layer.Format(Shape)} ({Count} values).", valuesName);
        if (scales.Length != Channels)
            throw new ArgumentException($"{scales.Length} scales given for {Channels} output channels.", nameof(scales));
        if (scales.Any(s => !(s > 0) || float.IsInfinity(s)))
            throw new ArgumentException("Channel scales must be positive finite numbers.", nameof(scales));
    }

    /// <summary>Bits each weight is stored with.</summary>
    public abstract int Bits { get; }

    /// <summary>Shape of the weight tensor, output channels first.</summary>
    public int[] Shape { get; }

    /// <summary>Output channels (axis 0).</summary>
    public int Channels => Shape[0];

    /// <summary>Number of weights.</summary>
    public long Count => Shape.Aggregate(1L, (a, d) => a * d);

    /// <summary>Bytes of the stored weights: ceil(count x bits / 8) (per-channel scales not counted).</summary>
    public long StoredBytes => (Count * Bits + 7) / 8;

    /// <summary>The float weights the exported model computes with, evaluated as the ONNX graph evaluates them.</summary>
    public abstract float[] Decode();

    /// <summary>The lowest ai.onnx opset whose operators and types this encoding needs.</summary>
    internal virtual int MinimumOpset => 13;

    /// <summary>
    /// The bias as integer kernels add it, when the layer's input is quantized with <paramref name="input"/>; null when
    /// the bias stays float. Integer encodings round it to the int32 grid of input scale x weight scale.
    /// </summary>
    internal virtual float[]? RoundBias(float[] bias, QuantParams input) => null;

    /// <summary>
    /// Writes the stored weights and the nodes decoding them; returns the tensor holding the float weights.
    /// <paramref name="input"/> is the layer's input quantization, null when the input is float.
    /// </summary>
    internal abstract string WriteWeight(OnnxLayerContext onnx, QuantParams? input);

    /// <summary>
    /// Decodes the integers in <paramref name="stored"/> to the float weights, (stored + <paramref name="offset"/>) x
    /// the channel's <paramref name="scales"/>, with Cast, Add and Mul: ONNX Runtime folds these into a float weight
    /// when the session loads. It keeps a DequantizeLinear unfolded (for its QDQ fusions), so a layer with a float input
    /// behind one would decode its weight and run a slower convolution at every call, about half fp32's speed.
    /// </summary>
    private protected string WriteFoldedDecode(OnnxGraphBuilder b, string stored, string scaleName, float[] scales, string? offset = null)
    {
        var column = new long[Shape.Length];
        Array.Fill(column, 1L);
        column[0] = Channels;
        string values = b.AddShortNode("Cast", new[] { stored }, OnnxAttributes.Int("to", (int)DataType.Float));
        if (offset is not null) values = b.AddShortNode("Add", new[] { values, offset });
        return b.AddShortNode("Mul", new[] { values, b.AddShortInitializer(OnnxTensors.Float(scaleName, column, scales)) });
    }

    /// <summary>Writes the bias in the form <see cref="RoundBias"/> describes; null when it is written as a float initializer.</summary>
    internal virtual string? WriteBias(OnnxLayerContext onnx, float[] bias, QuantParams input) => null;
}
