using Microsoft.ML.Compression.Onnx;
using Microsoft.ML.Compression.Onnx.Proto;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Graph;

/// <summary>A sliding-window pooling over a <see cref="Window2d"/> (any kernel, strides, padding, ceil mode).</summary>
public abstract class WindowPoolLayer : Layer
{
    /// <summary>Creates a square window; <paramref name="stride"/> defaults to the kernel size.</summary>
    protected WindowPoolLayer(string name, string input, int kernelSize, int? stride, int padding)
        : this(name, input, SquareWindow(name, kernelSize, stride, padding)) { }

    /// <summary>Creates the layer over any window.</summary>
    protected WindowPoolLayer(string name, string input, Window2d window) : base(name, new[] { input })
    {
        ArgumentNullException.ThrowIfNull(window);
        Window = window;
    }

    private static Window2d SquareWindow(string name, int kernelSize, int? stride, int padding)
    {
        if (kernelSize <= 0) throw new ArgumentOutOfRangeException(nameof(kernelSize), kernelSize, $"Pooling '{name}' needs kernelSize > 0.");
        int s = stride ?? kernelSize;
        if (s <= 0) throw new ArgumentOutOfRangeException(nameof(stride), s, $"Pooling '{name}' needs stride > 0.");
        if (padding < 0 || padding * 2 > kernelSize)
            throw new ArgumentOutOfRangeException(nameof(padding), padding, $"Pooling '{name}' needs 0 <= padding <= kernelSize/2.");
        return Window2d.Square(kernelSize, s, padding);
    }

    /// <summary>Kernel, strides, padding and rounding.</summary>
    public Window2d Window { get; }

    /// <inheritdoc />
    public override int[] InferShape(IReadOnlyList<int[]> inputShapes)
    {
        int[] x = SingleFeatureMap(inputShapes);
        var (h, w) = Window.TryOutput(x[1], x[2]) ?? throw ShapeError($"the window {Window} does not fit the input {Format(x)}.");
        return new[] { x[0], h, w };
    }

    internal override ChannelRule ChannelFlow => ChannelRule.PassThrough;

    /// <summary>True when TorchSharp's own padding argument expresses the padding (symmetric, at most half the kernel).</summary>
    private protected bool TorchPads => Window.IsSymmetric && Window.PadTop * 2 <= Window.KernelHeight && Window.PadLeft * 2 <= Window.KernelWidth;

    private protected long[] Kernel => new long[] { Window.KernelHeight, Window.KernelWidth };
    private protected long[] Strides => new long[] { Window.StrideHeight, Window.StrideWidth };
    private protected long[] TorchPadding => TorchPads ? new long[] { Window.PadTop, Window.PadLeft } : new long[] { 0, 0 };

    /// <summary><paramref name="x"/> padded explicitly with <paramref name="value"/> where TorchSharp's padding cannot express the window's.</summary>
    private protected Tensor ExplicitPad(Tensor x, double value) => TorchPads ? x
        : nn.functional.pad(x, new long[] { Window.PadLeft, Window.PadRight, Window.PadTop, Window.PadBottom }, value: value);

    /// <summary>The window attributes of ONNX's pooling operators.</summary>
    private protected AttributeProto[] WindowAttributes(params AttributeProto[] more) =>
        Window.OnnxAttributes(convolution: false).Concat(more).ToArray();
}
