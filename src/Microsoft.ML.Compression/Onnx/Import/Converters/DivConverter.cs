namespace Microsoft.ML.Compression.Onnx.Import.Converters;

/// <summary>Div of a run-time tensor by a constant (x / c) -> a scale (<see cref="ConstantArithmetic"/>); c / x is refused.</summary>
[OnnxOp("Div")]
internal sealed class DivConverter : IOpConverter
{
    public void Convert(OnnxNode node, ImportContext context)
    {
        if (!ConstantArithmetic.HasConstantInput(node, context))
        {
            context.LayerInput(node, 0);
            context.LayerInput(node, 1);
            throw node.Unsupported("Div of two run-time tensors is not supported; only division by a constant is.");
        }
        ConstantArithmetic.Convert(node, context, ArithmeticOp.Div);
    }
}
