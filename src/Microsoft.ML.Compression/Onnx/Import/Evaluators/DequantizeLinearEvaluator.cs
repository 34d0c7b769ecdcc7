using DataType = Microsoft.ML.Compression.Onnx.Proto.TensorProto.Types.DataType;

namespace Microsoft.ML.Compression.Onnx.Import.Evaluators;

/// <summary>
/// DequantizeLinear of constant integers (int8, uint8, int16, uint16, int32, INT4, UINT4, INT2, UINT2), per tensor
/// or per axis: y = float(x - zero point) x scale in single precision, which is ONNX Runtime's arithmetic, so the
/// folded weights are the ones the runtime multiplies with.
/// </summary>
[OnnxOp("DequantizeLinear")]
internal sealed class DequantizeLinearEvaluator : IConstantEvaluator
{
    public IReadOnlyList<ConstantTensor> Evaluate(OnnxNode node, ConstantInputs inputs)
    {
        ConstantTensor x = inputs.Required(0), scale = inputs.Required(1);
        ConstantTensor? zeroPoint = inputs.Optional(2);
        if (!ElementTypes.IsQuantized(x.Type))
            throw node.Unsupported($"dequantizing {x} is not supported.");
        if (zeroPoint is not null && zeroPoint.Type != x.Type)
            throw node.Invalid($"the zero point {zeroPoint} and the data {x} have different types.");
        if (node.Has("output_dtype") && node.Int("output_dtype", 0) != (long)DataType.Float)
            throw node.Unsupported("only FLOAT outputs are supported.");
        QuantizationAxis axis = QuantizationAxis.Of(node, x, scale, zeroPoint);
        long[] q = x.Integers;
        float[] s = scale.Floats;
        long[]? z = zeroPoint?.Integers;
        var y = new float[q.Length];
        for (int i = 0; i < y.Length; i++)
        {
            int c = axis.ScaleIndex(i);
            y[i] = (float)(q[i] - (z?[c] ?? 0)) * s[c];
        }
        return new[] { ConstantTensor.Float(x.Shape, y) };
    }
}
