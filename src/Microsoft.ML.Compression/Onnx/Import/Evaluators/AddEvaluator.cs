using DataType = Microsoft.ML.Compression.Onnx.Proto.TensorProto.Types.DataType;

namespace Microsoft.ML.Compression.Onnx.Import.Evaluators;

/// <summary>Add of constants (e.g. the half step added to sub-byte weights).</summary>
[OnnxOp("Add")]
internal sealed class AddEvaluator : BinaryEvaluator
{
    protected override Func<float, float, float> FloatOperation(OnnxNode node) => (a, b) => a + b;

    protected override Func<long, long, long> IntegerOperation(OnnxNode node, DataType type) => (a, b) => unchecked(a + b);
}
