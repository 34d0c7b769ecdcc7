using Microsoft.ML.Compression.Graph;

namespace Microsoft.ML.Compression.Onnx.Import.Converters;

/// <summary>
/// Reads the 2-D sliding window of a Conv or pooling node into a <see cref="Window2d"/>: kernel_shape, strides,
/// dilations, explicit pads or auto_pad (SAME_UPPER, SAME_LOWER, VALID; resolved for the input's size) and ceil_mode.
/// </summary>
internal static class WindowAttributes
{
    /// <summary>Reads the window of <paramref name="node"/>, whose input is [C, <paramref name="height"/>, <paramref name="width"/>]; <paramref name="kernel"/> is [kH, kW].</summary>
    public static Window2d Read(OnnxNode node, long[] kernel, int height, int width)
    {
        if (kernel.Length != 2) throw node.Unsupported($"kernel_shape [{Join(kernel)}] is not 2-D; only 2-D windows are supported.");
        long[] strides = node.Ints("strides") ?? new long[] { 1, 1 };
        long[] dilations = node.Ints("dilations") ?? new long[] { 1, 1 };
        if (strides.Length != 2) throw node.Invalid($"strides [{Join(strides)}] do not match the 2-D kernel.");
        if (dilations.Length != 2) throw node.Invalid($"dilations [{Join(dilations)}] do not match the 2-D kernel.");
        bool ceil = node.Int("ceil_mode", 0) != 0;
        long[] pads = Pads(node, kernel, strides, dilations, height, width);
        if (kernel.Concat(strides).Concat(dilations).Any(v => v is <= 0 or > int.MaxValue) || pads.Any(p => p is < 0 or > int.MaxValue))
            throw node.Invalid($"kernel [{Join(kernel)}], strides [{Join(strides)}], dilations [{Join(dilations)}] or pads [{Join(pads)}] are out of range.");
        try
        {
            return new Window2d((int)kernel[0], (int)kernel[1], (int)strides[0], (int)strides[1],
                (int)pads[0], (int)pads[1], (int)pads[2], (int)pads[3], (int)dilations[0], (int)dilations[1], ceil);
        }
        catch (ArgumentException e)
        {
            throw node.Invalid(e.Message);
        }
    }

    /// <summary>Pads as [top, left, bottom, right].</summary>
    private static long[] Pads(OnnxNode node, long[] kernel, long[] strides, long[] dilations, int height, int width)
    {
        string autoPad = node.String("auto_pad", "NOTSET");
        switch (autoPad)
        {
            case "NOTSET" or "":
                long[] pads = node.Ints("pads") ?? new long[4];
                return pads.Length == 4 ? pads : throw node.Invalid($"pads [{Join(pads)}] do not have 4 values (begin and end of height and width).");
            case "VALID":
                return new long[4];
            case "SAME_UPPER" or "SAME_LOWER":
                bool upper = autoPad == "SAME_UPPER";
                var (top, bottom) = Same(height, kernel[0], strides[0], dilations[0], upper);
                var (left, right) = Same(width, kernel[1], strides[1], dilations[1], upper);
                return new[] { top, left, bottom, right };
            default:
                throw node.Unsupported($"auto_pad '{autoPad}' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID.");
        }
    }

    // SAME keeps ceil(size / stride) outputs; the odd pad goes at the end (UPPER) or the beginning (LOWER).
    private static (long Begin, long End) Same(int size, long kernel, long stride, long dilation, bool upper)
    {
        long outputs = (size + stride - 1) / stride;
        long total = Math.Max((outputs - 1) * stride + (kernel - 1) * dilation + 1 - size, 0);
        long small = total / 2, large = total - small;
        return upper ? (small, large) : (large, small);
    }

    private static string Join(long[] values) => string.Join(",", values);
}
