using Microsoft.ML.Compression.Onnx;
using Microsoft.ML.Compression.Onnx.Proto;

namespace Microsoft.ML.Compression.Graph;

/// <summary>
/// The sliding window of a convolution or pooling layer as ONNX describes it: kernel, stride and dilation per axis
/// (height, width), padding per side, and whether a partial last window counts (ceil mode, pooling only).
/// </summary>
public sealed record Window2d
{
    /// <summary>Creates a window; every size must be positive and every padding non-negative.</summary>
    public Window2d(int kernelHeight, int kernelWidth, int strideHeight = 1, int strideWidth = 1,
        int padTop = 0, int padLeft = 0, int padBottom = 0, int padRight = 0,
        int dilationHeight = 1, int dilationWidth = 1, bool ceilMode = false)
    {
        if (kernelHeight <= 0 || kernelWidth <= 0) throw new ArgumentOutOfRangeException(nameof(kernelHeight), $"A window needs a positive kernel, got {kernelHeight}x{kernelWidth}.");
        if (strideHeight <= 0 || strideWidth <= 0) throw new ArgumentOutOfRangeException(nameof(strideHeight), $"A window needs positive strides, got {strideHeight}x{strideWidth}.");
        if (dilationHeight <= 0 || dilationWidth <= 0) throw new ArgumentOutOfRangeException(nameof(dilationHeight), $"A window needs positive dilations, got {dilationHeight}x{dilationWidth}.");
        if (padTop < 0 || padLeft < 0 || padBottom < 0 || padRight < 0)
            throw new ArgumentOutOfRangeException(nameof(padTop), $"A window needs non-negative pads, got [{padTop},{padLeft},{padBottom},{padRight}].");
        KernelHeight = kernelHeight; KernelWidth = kernelWidth;
        StrideHeight = strideHeight; StrideWidth = strideWidth;
        PadTop = padTop; PadLeft = padLeft; PadBottom = padBottom; PadRight = padRight;
        DilationHeight = dilationHeight; DilationWidth = dilationWidth;
        CeilMode = ceilMode;
    }

    /// <summary>A square window with the same stride on both axes and the same padding on every side.</summary>
    public static Window2d Square(int kernel, int stride = 1, int padding = 0) => new(kernel, kernel, stride, stride, padding, padding, padding, padding);

    /// <summary>Kernel height.</summary>
    public int KernelHeight { get; }
    /// <summary>Kernel width.</summary>
    public int KernelWidth { get; }
    /// <summary>Step between windows along the height.</summary>
    public int StrideHeight { get; }
    /// <summary>Step between windows along the width.</summary>
    public int StrideWidth { get; }
    /// <summary>Rows of padding above.</summary>
    public int PadTop { get; }
    /// <summary>Columns of padding on the left.</summary>
    public int PadLeft { get; }
    /// <summary>Rows of padding below.</summary>
    public int PadBottom { get; }
    /// <summary>Columns of padding on the right.</summary>
    public int PadRight { get; }
    /// <summary>Spacing of kernel taps along the height (1: dense).</summary>
    public int DilationHeight { get; }
    /// <summary>Spacing of kernel taps along the width (1: dense).</summary>
    public int DilationWidth { get; }
    /// <summary>Whether a last window that only partly covers the (padded) input still produces an output.</summary>
    public bool CeilMode { get; }

    /// <summary>True when top equals bottom and left equals right (what TorchSharp's own padding argument expresses).</summary>
    public bool IsSymmetric => PadTop == PadBottom && PadLeft == PadRight;

    /// <summary>True when kernel, stride and padding are the same along both axes, without dilation or ceil mode.</summary>
    public bool IsSquare => KernelHeight == KernelWidth && StrideHeight == StrideWidth && IsSymmetric && PadTop == PadLeft
        && DilationHeight == 1 && DilationWidth == 1 && !CeilMode;

    /// <summary>Kernel taps (height times width).</summary>
    public int KernelArea => KernelHeight * KernelWidth;

    /// <summary>The output [height, width] for an input of <paramref name="height"/> x <paramref name="width"/>; null when the window does not fit.</summary>
    public (int Height, int Width)? TryOutput(int height, int width)
    {
        int h = Output(height, KernelHeight, StrideHeight, DilationHeight, PadTop, PadBottom);
        int w = Output(width, KernelWidth, StrideWidth, DilationWidth, PadLeft, PadRight);
        return h > 0 && w > 0 ? (h, w) : null;
    }

    // Ceil mode drops a last window that would start inside the end padding (PyTorch's rule, which ONNX Runtime follows).
    private int Output(int size, int kernel, int stride, int dilation, int padBegin, int padEnd)
    {
        int span = dilation * (kernel - 1) + 1, room = size + padBegin + padEnd - span;
        if (room < 0) return 0;
        int count = (CeilMode ? (room + stride - 1) / stride : room / stride) + 1;
        if (CeilMode && (count - 1) * stride >= size + padBegin) count--;
        return count;
    }

    /// <summary>
    /// The ONNX attributes of the window, each only where it differs from ONNX's default (strides 1, pads 0,
    /// dilations 1, ceil_mode 0): the defaults cost bytes in every node of a small file. A convolution omits
    /// kernel_shape too (ONNX takes it from the weight's shape); pooling operators require it.
    /// </summary>
    internal IEnumerable<AttributeProto> OnnxAttributes(bool convolution)
    {
        if (!convolution) yield return Onnx.OnnxAttributes.Ints("kernel_shape", KernelHeight, KernelWidth);
        if (StrideHeight != 1 || StrideWidth != 1) yield return Onnx.OnnxAttributes.Ints("strides", StrideHeight, StrideWidth);
        if (PadTop != 0 || PadLeft != 0 || PadBottom != 0 || PadRight != 0)
            yield return Onnx.OnnxAttributes.Ints("pads", PadTop, PadLeft, PadBottom, PadRight);
        if (DilationHeight != 1 || DilationWidth != 1) yield return Onnx.OnnxAttributes.Ints("dilations", DilationHeight, DilationWidth);
        if (CeilMode) yield return Onnx.OnnxAttributes.Int("ceil_mode", 1);
    }

    /// <summary>"3x3 stride 1 pads [1,1,1,1]", for reports and messages.</summary>
    public override string ToString() =>
        $"{KernelHeight}x{KernelWidth} stride {StrideHeight}x{StrideWidth} pads [{PadTop},{PadLeft},{PadBottom},{PadRight}]"
        + (DilationHeight != 1 || DilationWidth != 1 ? $" dilation {DilationHeight}x{DilationWidth}" : "") + (CeilMode ? " ceil" : "");
}
