using Microsoft.ML.Compression.Graph;

namespace Microsoft.ML.Compression.Onnx.Import.Converters;

/// <summary>MaxPool (without its Indices output) -> <see cref="MaxPool2dLayer"/>; pads, dilations and ceil_mode included.</summary>
[OnnxOp("MaxPool")]
internal sealed class MaxPoolConverter : IOpConverter
{
    public void Convert(OnnxNode node, ImportContext context)
    {
        if (node.Outputs.Count > 1 && node.Outputs[1].Length > 0 && context.IsRead(node.Outputs[1]))
            throw node.Unsupported("its Indices output is read; only the pooled values are supported.");
        string input = context.LayerInput(node, 0);
        Window2d window = PoolWindow.Read(node, context, input);
        context.AddLayer(node, name => new MaxPool2dLayer(name, input, window));
    }
}
