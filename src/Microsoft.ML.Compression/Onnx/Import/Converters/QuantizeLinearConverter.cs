namespace Microsoft.ML.Compression.Onnx.Import.Converters;

/// <summary>
/// QuantizeLinear of an activation: its output stands for the float input, marked quantized so that only a
/// DequantizeLinear may read it. Together they are an identity: the import drops activation quantization.
/// </summary>
[OnnxOp("QuantizeLinear")]
internal sealed class QuantizeLinearConverter : IOpConverter
{
    public void Convert(OnnxNode node, ImportContext context)
    {
        ActivationValue value = context.Activation(node, 0);
        context.Constant(node, 1); // the scale (and zero point) must be constants, as a QDQ activation's are
        context.OptionalConstant(node, 2);
        context.SetOutput(node, 0, value with { Quantized = true });
    }
}
