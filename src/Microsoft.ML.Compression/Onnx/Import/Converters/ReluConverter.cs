using Microsoft.ML.Compression.Graph;

namespace Microsoft.ML.Compression.Onnx.Import.Converters;

/// <summary>Relu -> <see cref="ReLULayer"/>.</summary>
[OnnxOp("Relu")]
internal sealed class ReluConverter : IOpConverter
{
    public void Convert(OnnxNode node, ImportContext context)
    {
        string input = context.LayerInput(node, 0);
        context.AddLayer(node, name => new ReLULayer(name, input));
    }
}
