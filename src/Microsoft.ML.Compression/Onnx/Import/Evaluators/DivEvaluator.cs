using DataType = Microsoft.ML.Compression.Onnx.Proto.TensorProto.Types.DataType;

namespace Microsoft.ML.Compression.Onnx.Import.Evaluators;

/// <summary>Div of FLOAT constants (e.g. a normalization's 1/std computed in the graph); integer division is not folded.</summary>
[OnnxOp("Div")]
internal sealed class DivEvaluator : BinaryEvaluator
{
    protected override Func<float, float, float> FloatOperation(OnnxNode node) => (a, b) => a / b;

    protected override Func<long, long, long>? IntegerOperation(OnnxNode node, DataType type) => null;
}
