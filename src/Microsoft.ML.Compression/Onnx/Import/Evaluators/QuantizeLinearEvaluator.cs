using DataType = Microsoft.ML.Compression.Onnx.Proto.TensorProto.Types.DataType;

namespace Microsoft.ML.Compression.Onnx.Import.Evaluators;

/// <summary>
/// QuantizeLinear of a float constant (float weights stored behind a Q -> DQ pair), per tensor or per axis:
/// y = saturate(round_half_even(x / scale) + zero point), to the zero point's integer type (uint8 without one).
/// </summary>
[OnnxOp("QuantizeLinear")]
internal sealed class QuantizeLinearEvaluator : IConstantEvaluator
{
    public IReadOnlyList<ConstantTensor> Evaluate(OnnxNode node, ConstantInputs inputs)
    {
        ConstantTensor x = inputs.RequiredFloat(0), scale = inputs.Required(1);
        ConstantTensor? zeroPoint = inputs.Optional(2);
        var type = zeroPoint?.Type ?? (DataType)node.Int("output_dtype", (long)DataType.Uint8);
        if (!ElementTypes.IsQuantized(type))
            throw node.Unsupported($"quantizing to {ElementTypes.Name((int)type)} is not supported.");
        QuantizationAxis axis = QuantizationAxis.Of(node, x, scale, zeroPoint);
        float[] v = x.Floats, s = scale.Floats;
        long[]? z = zeroPoint?.Integers;
        long min = ElementTypes.Min(type), max = ElementTypes.Max(type);
        var y = new long[v.Length];
        for (int i = 0; i < y.Length; i++)
        {
            int c = axis.ScaleIndex(i);
            float r = MathF.Round(v[i] / s[c], MidpointRounding.ToEven);
            y[i] = (long)Math.Clamp((double)r + (z?[c] ?? 0), min, max);
        }
        return new[] { ConstantTensor.Integer(type, x.Shape, y) };
    }
}
