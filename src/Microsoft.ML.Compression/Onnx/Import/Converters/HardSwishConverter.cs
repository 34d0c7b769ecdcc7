using Microsoft.ML.Compression.Graph;

namespace Microsoft.ML.Compression.Onnx.Import.Converters;

/// <summary>HardSwish (opset 14 and later) -> <see cref="HardSwishLayer"/>.</summary>
[OnnxOp("HardSwish")]
internal sealed class HardSwishConverter : IOpConverter
{
    public void Convert(OnnxNode node, ImportContext context)
    {
        string input = context.LayerInput(node, 0);
        context.AddLayer(node, name => new HardSwishLayer(name, input));
    }
}
