using Microsoft.ML.Compression.Onnx;
using Microsoft.ML.Compression.Onnx.Proto;

namespace Microsoft.ML.Compression.Graph;

/// <summary>A square sliding-window pooling (floor rounding).</summary>
public abstract class WindowPoolLayer : Layer
{
    /// <summary>Creates the layer; <paramref name="stride"/> defaults to the kernel size.</summary>
    protected WindowPoolLayer(string name, string input, int kernelSize, int? stride, int padding) : base(name, new[] { input })
    {
        if (kernelSize <= 0) throw new ArgumentOutOfRangeException(nameof(kernelSize), kernelSize, $"Pooling '{name}' needs kernelSize > 0.");
        int s = stride ?? kernelSize;
        if (s <= 0) throw new ArgumentOutOfRangeException(nameof(stride), s, $"Pooling '{name}' needs stride > 0.");
        if (padding < 0 || padding * 2 > kernelSize)
            throw new ArgumentOutOfRangeException(nameof(padding), padding, $"Pooling '{name}' needs 0 <= padding <= kernelSize/2.");
        KernelSize = kernelSize;
        Stride = s;
        Padding = padding;
    }

    /// <summary>Window height and width.</summary>
    public int KernelSize { get; }
    /// <summary>Step between windows.</summary>
    public int Stride { get; }
    /// <summary>Padding on every side.</summary>
    public int Padding { get; }

    /// <inheritdoc />
    public override int[] InferShape(IReadOnlyList<int[]> inputShapes)
    {
        int[] x = SingleFeatureMap(inputShapes);
        return new[] { x[0], SlidingOutput(x[1], KernelSize, Stride, Padding, "height"), SlidingOutput(x[2], KernelSize, Stride, Padding, "width") };
    }

    internal override ChannelRule ChannelFlow => ChannelRule.PassThrough;

    /// <summary>The window attributes of ONNX's pooling operators; the IR rounds window counts down.</summary>
    private protected AttributeProto[] WindowAttributes(params AttributeProto[] more)
    {
        return OnnxAttributes.SquareWindow(KernelSize, Stride, Padding).Append(OnnxAttributes.Int("ceil_mode", 0)).Concat(more).ToArray();
    }
}
