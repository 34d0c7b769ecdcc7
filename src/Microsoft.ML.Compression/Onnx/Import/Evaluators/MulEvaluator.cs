using DataType = Microsoft.ML.Compression.Onnx.Proto.TensorProto.Types.DataType;

namespace Microsoft.ML.Compression.Onnx.Import.Evaluators;

/// <summary>Mul of constants (e.g. per-channel weight steps).</summary>
[OnnxOp("Mul")]
internal sealed class MulEvaluator : BinaryEvaluator
{
    protected override Func<float, float, float> FloatOperation(OnnxNode node) => (a, b) => a * b;

    protected override Func<long, long, long> IntegerOperation(OnnxNode node, DataType type) => (a, b) => unchecked(a * b);
}
