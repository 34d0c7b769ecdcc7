using DataType = Microsoft.ML.Compression.Onnx.Proto.TensorProto.Types.DataType;

namespace Microsoft.ML.Compression.Onnx.Import.Evaluators;

/// <summary>Sub of constants (e.g. centring unpacked 1-bit weights).</summary>
[OnnxOp("Sub")]
internal sealed class SubEvaluator : BinaryEvaluator
{
    protected override Func<float, float, float> FloatOperation(OnnxNode node) => (a, b) => a - b;

    protected override Func<long, long, long> IntegerOperation(OnnxNode node, DataType type) => (a, b) => unchecked(a - b);
}
