using DataType = Microsoft.ML.Compression.Onnx.Proto.TensorProto.Types.DataType;

namespace Microsoft.ML.Compression.Onnx.Import.Evaluators;

/// <summary>ConstantOfShape: a tensor of the given constant shape filled with the 'value' attribute (float 0 by default).</summary>
[OnnxOp("ConstantOfShape")]
internal sealed class ConstantOfShapeEvaluator : IConstantEvaluator
{
    public IReadOnlyList<ConstantTensor> Evaluate(OnnxNode node, ConstantInputs inputs)
    {
        long[] shape = inputs.OptionalIntegers(0) ?? throw node.Invalid("input 0 (shape) is required.");
        if (shape.Any(d => d < 0)) throw node.Unsupported($"shape [{string.Join(",", shape)}] holds the batch or a negative size; only fixed shapes fold.");
        long count = ConstantTensor.ElementCount(shape);
        if (count > 1 << 24) throw node.Unsupported($"shape [{string.Join(",", shape)}] is too large to fold.");
        ConstantTensor fill = node.Tensor("value") is { } proto ? TensorProtoReader.Read(proto, $"attribute 'value' of {node.Description}")
            : ConstantTensor.Float(new long[] { 1 }, new[] { 0f });
        if (fill.Count != 1) throw node.Invalid($"attribute 'value' is {fill}, not a single value.");
        return new[] { fill.IsFloat
            ? ConstantTensor.Float(shape, Enumerable.Repeat(fill.Floats[0], (int)count).ToArray())
            : ConstantTensor.Integer(fill.Type, shape, Enumerable.Repeat(fill.Integers[0], (int)count).ToArray()) };
    }
}
