namespace Microsoft.ML.Compression.Onnx.Import.Converters;

/// <summary>Sub of a run-time tensor and a constant, either way round (x - c, c - x) -> a shift (<see cref="ConstantArithmetic"/>).</summary>
[OnnxOp("Sub")]
internal sealed class SubConverter : IOpConverter
{
    public void Convert(OnnxNode node, ImportContext context)
    {
        if (!ConstantArithmetic.HasConstantInput(node, context))
        {
            context.LayerInput(node, 0); // names a missing or quantized input first
            context.LayerInput(node, 1);
            throw node.Unsupported("Sub of two run-time tensors is not supported; only Sub of a run-time tensor and a constant is.");
        }
        ConstantArithmetic.Convert(node, context, ArithmeticOp.Sub);
    }
}
