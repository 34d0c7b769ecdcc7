using Microsoft.ML.Compression.Graph;

namespace Microsoft.ML.Compression.Onnx.Import.Converters;

/// <summary>
/// 2-D Conv with constant weights (and bias) -> <see cref="Conv2dLayer"/>: any kernel, strides, dilations, explicit or
/// automatic pads, grouped and depthwise.
/// </summary>
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
        int[] x = context.ShapeOf(input);
        if (x.Length != 3) throw node.Invalid($"its input has shape {Layer.Format(x)} (batch excluded); a 2-D Conv reads [C,H,W] maps.");
        Window2d window = WindowAttributes.Read(node, kernel, x[1], x[2]);
        int groups = (int)node.Int("group", 1);
        int outChannels = (int)w.Shape[0], inChannels = (int)w.Shape[1] * groups;
        bool hasBias = node.HasInput(2);
        context.AddLayer(node, name =>
        {
            var conv = new Conv2dLayer(name, input, inChannels, outChannels, window, groups, hasBias);
            conv.SetParameter("weight", context.Parameter(node, 1, conv.ParameterShape("weight"), "weight"));
            if (hasBias) conv.SetParameter("bias", context.Parameter(node, 2, conv.ParameterShape("bias"), "bias"));
            return conv;
        });
    }
}
