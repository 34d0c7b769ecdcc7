using DataType = Microsoft.ML.Compression.Onnx.Proto.TensorProto.Types.DataType;

namespace Microsoft.ML.Compression.Onnx.Import.Evaluators;

/// <summary>
/// Cast between FLOAT and the integer types: integers to float round to nearest, floats to integers truncate toward
/// zero (then wrap, as a C cast of an in-range value does), BOOL is value != 0.
/// </summary>
[OnnxOp("Cast")]
internal sealed class CastEvaluator : IConstantEvaluator
{
    public IReadOnlyList<ConstantTensor> Evaluate(OnnxNode node, ConstantInputs inputs)
    {
        ConstantTensor x = inputs.Required(0);
        if (!node.Has("to")) throw node.Invalid("attribute 'to' is required.");
        long raw = node.Int("to", 0);
        var to = (DataType)raw;
        if (raw is < int.MinValue or > int.MaxValue || !ElementTypes.IsSupported(to))
            throw node.Unsupported($"casting to {ElementTypes.Name((int)raw)} is not supported; the importer holds FLOAT and integer constants.");
        if (to == DataType.Float)
            return new[] { x.IsFloat ? x : ConstantTensor.Float(x.Shape, x.Integers.Select(v => (float)v).ToArray()) };
        long[] values = x.IsFloat
            ? x.Floats.Select(v => ElementTypes.Wrap(to, to == DataType.Bool ? (v != 0 ? 1 : 0) : float.IsNaN(v) ? 0 : (long)Math.Truncate((double)v))).ToArray()
            : x.Integers.Select(v => ElementTypes.Wrap(to, v)).ToArray();
        return new[] { ConstantTensor.Integer(to, x.Shape, values) };
    }
}
