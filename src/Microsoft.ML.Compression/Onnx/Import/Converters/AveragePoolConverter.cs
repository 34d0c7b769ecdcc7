using Microsoft.ML.Compression.Graph;

namespace Microsoft.ML.Compression.Onnx.Import.Converters;

/// <summary>AveragePool -> <see cref="AvgPool2dLayer"/>: pads, ceil_mode and count_include_pad included.</summary>
[OnnxOp("AveragePool")]
internal sealed class AveragePoolConverter : IOpConverter
{
    public void Convert(OnnxNode node, ImportContext context)
    {
        string input = context.LayerInput(node, 0);
        Window2d window = PoolWindow.Read(node, context, input);
        if (window.DilationHeight != 1 || window.DilationWidth != 1)
            throw node.Unsupported("dilations are not supported for AveragePool.");
        bool countPad = node.Int("count_include_pad", 0) != 0;
        context.AddLayer(node, name => new AvgPool2dLayer(name, input, window, countPad));
    }
}
