using DataType = Microsoft.ML.Compression.Onnx.Proto.TensorProto.Types.DataType;

namespace Microsoft.ML.Compression.Onnx.Import.Evaluators;

/// <summary>BitShift of unsigned integer constants (unpacking bits), direction "LEFT" or "RIGHT".</summary>
[OnnxOp("BitShift")]
internal sealed class BitShiftEvaluator : BinaryEvaluator
{
    protected override Func<float, float, float>? FloatOperation(OnnxNode node) => null;

    protected override Func<long, long, long>? IntegerOperation(OnnxNode node, DataType type)
    {
        if (!ElementTypes.IsUnsigned(type) || type == DataType.Bool) return null; // the IR defines BitShift on unsigned types
        int bits = ElementTypes.Bits(type);
        // Shifting by the width or more empties the value (C# would take the count modulo 64).
        return node.String("direction", "") switch
        {
            "RIGHT" => (x, s) => s >= bits ? 0 : x >> (int)s,
            "LEFT" => (x, s) => s >= bits ? 0 : x << (int)s,
            string d => throw node.Invalid($"direction must be \"LEFT\" or \"RIGHT\", got \"{d}\"."),
        };
    }
}
