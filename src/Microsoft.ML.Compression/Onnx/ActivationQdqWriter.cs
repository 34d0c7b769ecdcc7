using System.Globalization;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Quantization;

namespace Microsoft.ML.Compression.Onnx;

/// <summary>
/// Writes the QuantizeLinear -> DequantizeLinear pair (uint8, per tensor) after a quantized activation. The pair
/// reads one scale and one zero-point initializer, and the model holds one initializer per distinct value (see
/// <see cref="Scale"/>): ONNX Runtime drops the pairs around flatten and reshapes only when both sides use the same
/// quantization, and those layers repeat their input's grid (max pooling deliberately gets a distinct scale, see
/// <see cref="Layer.IntegerKernelIsSlow"/>). The pair's nodes are unnamed and its tensors have short
/// names; the layers' nodes carry the names.
/// </summary>
internal sealed class ActivationQdqWriter
{
    private readonly OnnxGraphBuilder _builder;
    private readonly Func<string, QuantParams?> _activationOf;
    private readonly Func<string, bool> _doubled;

    /// <param name="builder">The model being written.</param>
    /// <param name="activationOf">The parameters of a tensor (layer name or <see cref="NetworkGraph.InputName"/>), null when it stays float.</param>
    /// <param name="doubled">
    /// Whether a tensor is quantized as twice its value with twice the scale (the same codes), so that ONNX Runtime
    /// cannot fuse the quantize step into a layer whose integer kernel is slow (see <see cref="Layer.IntegerKernelIsSlow"/>).
    /// </param>
    public ActivationQdqWriter(OnnxGraphBuilder builder, Func<string, QuantParams?> activationOf, Func<string, bool> doubled)
    {
        _builder = builder;
        _activationOf = activationOf;
        _doubled = doubled;
    }

    /// <summary>The tensor consumers of <paramref name="name"/> read: <paramref name="tensor"/>, or its Q/DQ pair.</summary>
    public string Write(string name, string tensor)
    {
        if (_activationOf(name) is not QuantParams p) return tensor;
        string scale = Scale(_builder, p.Scale);
        string zeroPoint = _builder.Shared($"uint8 {p.ZeroPoint.ToString(CultureInfo.InvariantCulture)}",
            () => _builder.AddShortInitializer(OnnxTensors.UInt8("zero_point", Array.Empty<long>(), new[] { (byte)p.ZeroPoint })));
        string quantized = _doubled(name)
            // Doubling is exact in floating point, so round(2x / 2s) == round(x / s): the codes do not change.
            ? _builder.AddShortNode("QuantizeLinear", new[] { _builder.AddShortNode("Mul", new[] { tensor, Two(_builder) }), Scale(_builder, 2 * p.Scale), zeroPoint })
            : _builder.AddShortNode("QuantizeLinear", new[] { tensor, scale, zeroPoint });
        return _builder.AddShortNode("DequantizeLinear", new[] { quantized, scale, zeroPoint });
    }

    private static string Two(OnnxGraphBuilder builder) =>
        builder.Shared("float two", () => builder.AddShortInitializer(OnnxTensors.FloatScalar("two", 2f)));

    /// <summary>
    /// The float scalar initializer holding <paramref name="scale"/>, one per distinct value in the model: the
    /// activations' Q/DQ pairs and the int32 biases' scales (input scale x weight scale) read the same one.
    /// </summary>
    public static string Scale(OnnxGraphBuilder builder, float scale) =>
        builder.Shared($"float {BitConverter.SingleToInt32Bits(scale).ToString(CultureInfo.InvariantCulture)}",
            () => builder.AddShortInitializer(OnnxTensors.FloatScalar("scale", scale)));
}
