using DataType = Microsoft.ML.Compression.Onnx.Proto.TensorProto.Types.DataType;

namespace Microsoft.ML.Compression.Onnx.Import.Evaluators;

/// <summary>BitwiseAnd of integer constants (masking unpacked bits).</summary>
[OnnxOp("BitwiseAnd")]
internal sealed class BitwiseAndEvaluator : BinaryEvaluator
{
    protected override Func<float, float, float>? FloatOperation(OnnxNode node) => null;

    // Two's complement: the AND of the 64-bit forms, wrapped, is the AND of the narrow forms.
    protected override Func<long, long, long> IntegerOperation(OnnxNode node, DataType type) => (a, b) => a & b;
}
