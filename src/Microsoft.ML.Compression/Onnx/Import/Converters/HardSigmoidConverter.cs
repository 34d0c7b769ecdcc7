using Microsoft.ML.Compression.Graph;

namespace Microsoft.ML.Compression.Onnx.Import.Converters;

/// <summary>HardSigmoid (alpha default 0.2, beta 0.5; PyTorch writes alpha 1/6) -> <see cref="HardSigmoidLayer"/>.</summary>
[OnnxOp("HardSigmoid")]
internal sealed class HardSigmoidConverter : IOpConverter
{
    public void Convert(OnnxNode node, ImportContext context)
    {
        string input = context.LayerInput(node, 0);
        float alpha = node.Float("alpha", 0.2f), beta = node.Float("beta", 0.5f);
        // PyTorch's 1/6 arrives rounded to a float; keep it exact so the layer computes what PyTorch does.
        double slope = alpha == (float)HardSigmoidLayer.TorchAlpha ? HardSigmoidLayer.TorchAlpha : Attributes.Decimal(alpha);
        context.AddLayer(node, name => new HardSigmoidLayer(name, input, slope, Attributes.Decimal(beta)));
    }
}
