using Microsoft.ML.Compression.Graph;

namespace Microsoft.ML.Compression.Onnx.Import.Converters;

/// <summary>LeakyRelu (alpha, default 0.01) -> <see cref="LeakyReLULayer"/>.</summary>
[OnnxOp("LeakyRelu")]
internal sealed class LeakyReluConverter : IOpConverter
{
    public void Convert(OnnxNode node, ImportContext context)
    {
        string input = context.LayerInput(node, 0);
        double alpha = Attributes.Decimal(node.Float("alpha", 0.01f));
        context.AddLayer(node, name => new LeakyReLULayer(name, input, alpha));
    }
}
