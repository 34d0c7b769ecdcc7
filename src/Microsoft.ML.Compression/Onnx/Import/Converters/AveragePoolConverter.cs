using Microsoft.ML.Compression.Graph;

namespace Microsoft.ML.Compression.Onnx.Import.Converters;

/// <summary>AveragePool -> <see cref="AvgPool2dLayer"/>, whose averages leave padded zeros out (count_include_pad 0).</summary>
[OnnxOp("AveragePool")]
internal sealed class AveragePoolConverter : IOpConverter
{
    public void Convert(OnnxNode node, ImportContext context)
    {
        string input = context.LayerInput(node, 0);
        SquareWindow w = SquareWindow.Read(node);
        // Without padding both conventions average the same values.
        if (node.Int("count_include_pad", 0) != 0 && w.Padding > 0)
            throw node.Unsupported("count_include_pad 1 with padding is not supported; the IR leaves padded zeros out of the average.");
        context.AddLayer(node, name => new AvgPool2dLayer(name, input, w.Kernel, w.Stride, w.Padding));
    }
}
