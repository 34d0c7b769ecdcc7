using Microsoft.ML.Compression.Graph;

namespace Microsoft.ML.Compression.Onnx.Import.Converters;

/// <summary>MaxPool (without its Indices output) -> <see cref="MaxPool2dLayer"/>.</summary>
[OnnxOp("MaxPool")]
internal sealed class MaxPoolConverter : IOpConverter
{
    public void Convert(OnnxNode node, ImportContext context)
    {
        string input = context.LayerInput(node, 0);
        SquareWindow w = SquareWindow.Read(node);
        context.AddLayer(node, name => new MaxPool2dLayer(name, input, w.Kernel, w.Stride, w.Padding));
    }
}
