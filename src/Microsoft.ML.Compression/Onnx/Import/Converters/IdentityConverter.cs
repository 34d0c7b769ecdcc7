namespace Microsoft.ML.Compression.Onnx.Import.Converters;

/// <summary>Identity of a run-time tensor: its output stands for its input (quantized or not).</summary>
[OnnxOp("Identity")]
internal sealed class IdentityConverter : IOpConverter
{
    public void Convert(OnnxNode node, ImportContext context) =>
        context.SetOutput(node, 0, context.Activation(node, 0, allowQuantized: true));
}
