using DataType = Microsoft.ML.Compression.Onnx.Proto.TensorProto.Types.DataType;

namespace Microsoft.ML.Compression.Onnx.Import.Evaluators;

/// <summary>
/// An element-wise op of two inputs of one element type with numpy broadcasting. Float results are computed in single
/// precision, as ONNX Runtime's kernels do; integer results wrap to the element type.
/// </summary>
internal abstract class BinaryEvaluator : IConstantEvaluator
{
    /// <summary>The float operation, or null when the op takes no FLOAT inputs.</summary>
    protected abstract Func<float, float, float>? FloatOperation(OnnxNode node);

    /// <summary>The integer operation for <paramref name="type"/>, or null when the op does not take it.</summary>
    protected abstract Func<long, long, long>? IntegerOperation(OnnxNode node, DataType type);

    /// <inheritdoc />
    public IReadOnlyList<ConstantTensor> Evaluate(OnnxNode node, ConstantInputs inputs)
    {
        ConstantTensor a = inputs.Required(0), b = inputs.Required(1);
        if (a.Type != b.Type) throw node.Invalid($"its inputs have different element types ({a} and {b}).");
        long[] shape = Broadcasting.Shape(a.Shape, b.Shape)
            ?? throw node.Invalid($"its inputs {a} and {b} do not broadcast.");
        int[] ia = Broadcasting.SourceIndices(shape, a.Shape), ib = Broadcasting.SourceIndices(shape, b.Shape);
        if (a.IsFloat)
        {
            Func<float, float, float> f = FloatOperation(node) ?? throw node.Unsupported($"FLOAT inputs are not supported.");
            float[] x = a.Floats, y = b.Floats;
            var result = new float[ia.Length];
            for (int i = 0; i < result.Length; i++) result[i] = f(x[ia[i]], y[ib[i]]);
            return new[] { ConstantTensor.Float(shape, result) };
        }
        Func<long, long, long> g = IntegerOperation(node, a.Type) ?? throw node.Unsupported($"{ElementTypes.Name(a.Type)} inputs are not supported.");
        long[] p = a.Integers, q = b.Integers;
        var values = new long[ia.Length];
        for (int i = 0; i < values.Length; i++) values[i] = ElementTypes.Wrap(a.Type, g(p[ia[i]], q[ib[i]]));
        return new[] { ConstantTensor.Integer(a.Type, shape, values) };
    }
}
