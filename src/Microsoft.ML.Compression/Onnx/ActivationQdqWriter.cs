using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Quantization;

namespace Microsoft.ML.Compression.Onnx;

/// <summary>
/// Writes the QuantizeLinear -> DequantizeLinear pair (uint8, per tensor) after a quantized activation, sharing one
/// scale/zero-point pair per distinct grid: ONNX Runtime drops the pairs around max pooling and flatten only when
/// both sides use the same quantization, and those layers repeat their input's grid.
/// </summary>
internal sealed class ActivationQdqWriter
{
    private readonly OnnxGraphBuilder _builder;
    private readonly Func<string, QuantParams?> _activationOf;
    private readonly Dictionary<QuantParams, (string Scale, string ZeroPoint)> _constants = new();

    /// <param name="builder">The model being written.</param>
    /// <param name="activationOf">The parameters of a tensor (layer name or <see cref="NetworkGraph.InputName"/>), null when it stays float.</param>
    public ActivationQdqWriter(OnnxGraphBuilder builder, Func<string, QuantParams?> activationOf)
    {
        _builder = builder;
        _activationOf = activationOf;
    }

    /// <summary>The tensor consumers of <paramref name="name"/> read: <paramref name="tensor"/>, or its Q/DQ pair.</summary>
    public string Write(string name, string tensor)
    {
        if (_activationOf(name) is not QuantParams p) return tensor;
        if (!_constants.TryGetValue(p, out var constants))
        {
            constants = (_builder.AddInitializer(OnnxTensors.FloatScalar($"{name}_act_scale", p.Scale)),
                         _builder.AddUInt8($"{name}_act_zero_point", Array.Empty<long>(), new[] { (byte)p.ZeroPoint }));
            _constants[p] = constants;
        }
        string quantized = _builder.AddNode("QuantizeLinear", new[] { tensor, constants.Scale, constants.ZeroPoint }, $"{name}_quantized");
        return _builder.AddNode("DequantizeLinear", new[] { quantized, constants.Scale, constants.ZeroPoint }, $"{name}_dequantized");
    }
}
