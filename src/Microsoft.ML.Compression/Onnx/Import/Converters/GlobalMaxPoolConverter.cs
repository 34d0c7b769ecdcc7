using Microsoft.ML.Compression.Graph;

namespace Microsoft.ML.Compression.Onnx.Import.Converters;

/// <summary>GlobalMaxPool -> <see cref="GlobalMaxPoolLayer"/>.</summary>
[OnnxOp("GlobalMaxPool")]
internal sealed class GlobalMaxPoolConverter : IOpConverter
{
    public void Convert(OnnxNode node, ImportContext context)
    {
        string input = context.LayerInput(node, 0);
        context.AddLayer(node, name => new GlobalMaxPoolLayer(name, input));
    }
}
