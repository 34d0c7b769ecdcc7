using Microsoft.ML.Compression.Graph;

namespace Microsoft.ML.Compression.Onnx.Import.Converters;

/// <summary>GlobalAveragePool -> <see cref="GlobalAvgPoolLayer"/>.</summary>
[OnnxOp("GlobalAveragePool")]
internal sealed class GlobalAveragePoolConverter : IOpConverter
{
    public void Convert(OnnxNode node, ImportContext context)
    {
        string input = context.LayerInput(node, 0);
        context.AddLayer(node, name => new GlobalAvgPoolLayer(name, input));
    }
}
