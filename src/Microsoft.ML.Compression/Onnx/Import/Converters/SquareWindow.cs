namespace Microsoft.ML.Compression.Onnx.Import.Converters;

/// <summary>
/// The sliding window of a Conv or pooling node as the IR's layers express it: 2-D, square, the same stride on both
/// axes, the same padding on all four sides, no dilation, floor rounding. Anything else is refused by name.
/// </summary>
internal readonly record struct SquareWindow(int Kernel, int Stride, int Padding)
{
    /// <summary>Reads the window of a pooling node, whose kernel_shape is required.</summary>
    public static SquareWindow Read(OnnxNode node) =>
        Read(node, node.Ints("kernel_shape") ?? throw node.Invalid("attribute 'kernel_shape' is required."));

    /// <summary>Reads the window attributes of <paramref name="node"/>; <paramref name="kernel"/> is its [kH, kW].</summary>
    public static SquareWindow Read(OnnxNode node, long[] kernel)
    {
        if (kernel.Length != 2) throw node.Unsupported($"kernel_shape [{Join(kernel)}] is not 2-D; only 2-D windows are supported.");
        if (kernel[0] != kernel[1]) throw node.Unsupported($"kernel_shape [{Join(kernel)}] is not square.");
        string autoPad = node.String("auto_pad", "NOTSET");
        if (autoPad is not ("NOTSET" or "" or "VALID"))
            throw node.Unsupported($"auto_pad {autoPad} is not supported; give explicit pads.");
        long[] strides = node.Ints("strides") ?? new long[] { 1, 1 };
        if (strides.Length != 2 || strides[0] != strides[1]) throw node.Unsupported($"strides [{Join(strides)}] are not the same on both axes.");
        long[] pads = autoPad == "VALID" ? new long[4] : node.Ints("pads") ?? new long[4];
        if (pads.Length != 4 || pads.Any(p => p != pads[0])) throw node.Unsupported($"pads [{Join(pads)}] are asymmetric; only equal padding on all sides is supported.");
        long[] dilations = node.Ints("dilations") ?? new long[] { 1, 1 };
        if (dilations.Any(d => d != 1)) throw node.Unsupported($"dilations [{Join(dilations)}] are not supported; only 1 is.");
        if (node.Int("ceil_mode", 0) != 0) throw node.Unsupported("ceil_mode 1 is not supported; the IR rounds window counts down.");
        if (kernel[0] is <= 0 or > int.MaxValue || strides[0] is <= 0 or > int.MaxValue || pads[0] is < 0 or > int.MaxValue)
            throw node.Invalid($"kernel {kernel[0]}, stride {strides[0]} or padding {pads[0]} is out of range.");
        return new SquareWindow((int)kernel[0], (int)strides[0], (int)pads[0]);
    }

    private static string Join(long[] values) => string.Join(",", values);
}
