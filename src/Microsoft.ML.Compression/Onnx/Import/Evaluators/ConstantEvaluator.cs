using DataType = Microsoft.ML.Compression.Onnx.Proto.TensorProto.Types.DataType;

namespace Microsoft.ML.Compression.Onnx.Import.Evaluators;

/// <summary>Constant: its value attribute (tensor, or value_float(s)/value_int(s)).</summary>
[OnnxOp("Constant")]
internal sealed class ConstantEvaluator : IConstantEvaluator
{
    public IReadOnlyList<ConstantTensor> Evaluate(OnnxNode node, ConstantInputs inputs)
    {
        ConstantTensor value;
        if (node.Tensor("value") is { } tensor) value = TensorProtoReader.Read(tensor, $"the value of {node.Description}");
        else if (node.Has("value_float")) value = ConstantTensor.Float(Array.Empty<long>(), new[] { node.Float("value_float", 0) });
        else if (node.Floats("value_floats") is { } floats) value = ConstantTensor.Float(new long[] { floats.Length }, floats);
        else if (node.Has("value_int")) value = ConstantTensor.Integer(DataType.Int64, Array.Empty<long>(), new[] { node.Int("value_int", 0) });
        else if (node.Ints("value_ints") is { } ints) value = ConstantTensor.Integer(DataType.Int64, new long[] { ints.Length }, ints);
        else throw node.Unsupported("it has no value, value_float(s) or value_int(s) attribute (sparse and string constants are not supported).");
        return new[] { value };
    }
}
