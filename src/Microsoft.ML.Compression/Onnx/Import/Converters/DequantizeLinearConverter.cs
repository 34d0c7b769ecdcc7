namespace Microsoft.ML.Compression.Onnx.Import.Converters;

/// <summary>DequantizeLinear of a quantized activation: its output stands for the float tensor before QuantizeLinear.</summary>
[OnnxOp("DequantizeLinear")]
internal sealed class DequantizeLinearConverter : IOpConverter
{
    public void Convert(OnnxNode node, ImportContext context)
    {
        ActivationValue value = context.Activation(node, 0, allowQuantized: true);
        if (!value.Quantized)
            throw node.Unsupported($"input 0 ('{node.Inputs[0]}') is a float activation; only the output of a QuantizeLinear can be dequantized here.");
        context.Constant(node, 1);
        context.OptionalConstant(node, 2);
        context.SetOutput(node, 0, value with { Quantized = false });
    }
}
