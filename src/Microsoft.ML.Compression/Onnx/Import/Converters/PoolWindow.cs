using Microsoft.ML.Compression.Graph;

namespace Microsoft.ML.Compression.Onnx.Import.Converters;

/// <summary>The window of a pooling node, whose kernel_shape is required and whose input is a [C,H,W] map.</summary>
internal static class PoolWindow
{
    public static Window2d Read(OnnxNode node, ImportContext context, string input)
    {
        long[] kernel = node.Ints("kernel_shape") ?? throw node.Invalid("attribute 'kernel_shape' is required.");
        int[] x = context.ShapeOf(input);
        if (x.Length != 3) throw node.Invalid($"its input has shape {Layer.Format(x)} (batch excluded); 2-D pooling reads [C,H,W] maps.");
        return WindowAttributes.Read(node, kernel, x[1], x[2]);
    }
}
