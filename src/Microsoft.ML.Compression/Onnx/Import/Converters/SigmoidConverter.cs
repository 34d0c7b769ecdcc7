using Microsoft.ML.Compression.Graph;

namespace Microsoft.ML.Compression.Onnx.Import.Converters;

/// <summary>Sigmoid -> <see cref="SigmoidLayer"/>.</summary>
[OnnxOp("Sigmoid")]
internal sealed class SigmoidConverter : IOpConverter
{
    public void Convert(OnnxNode node, ImportContext context)
    {
        string input = context.LayerInput(node, 0);
        context.AddLayer(node, name => new SigmoidLayer(name, input));
    }
}
