using Microsoft.ML.Compression.Graph;

namespace Microsoft.ML.Compression.Onnx.Import.Converters;

/// <summary>Conv with constant weights (and bias) -> <see cref="Conv2dLayer"/>; grouped and depthwise included.</summary>
[OnnxOp("Conv")]
internal sealed class ConvConverter : IOpConverter
{
    public void Convert(OnnxNode node, ImportContext context)
    {
        string input = context.LayerInput(node, 0);
        ConstantTensor w = context.Constant(node, 1);
        if (w.Rank != 4) throw node.Unsupported($"the weight is {w}; only 2-D convolutions ([out, in/groups, kH, kW]) are supported.");
        long[] kernel = node.Ints("kernel_shape") ?? new[] { w.Shape[2], w.Shape[3] };
        if (kernel.Length != 2 || kernel[0] != w.Shape[2] || kernel[1] != w.Shape[3])
            throw node.Invalid($"kernel_shape [{string.Join(",", kernel)}] does not match the weight {w}.");
        SquareWindow window = SquareWindow.Read(node, kernel);
        int groups = (int)node.Int("group", 1);
        int outChannels = (int)w.Shape[0], inChannels = (int)w.Shape[1] * groups;
        bool hasBias = node.HasInput(2);
        context.AddLayer(node, name =>
        {
            var conv = new Conv2dLayer(name, input, inChannels, outChannels, window.Kernel, window.Stride, window.Padding, groups, hasBias);
            conv.SetParameter("weight", context.Parameter(node, 1, conv.ParameterShape("weight"), "weight"));
            if (hasBias) conv.SetParameter("bias", context.Parameter(node, 2, conv.ParameterShape("bias"), "bias"));
            return conv;
        });
    }
}
