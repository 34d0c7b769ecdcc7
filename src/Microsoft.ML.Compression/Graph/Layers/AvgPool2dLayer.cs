using Microsoft.ML.Compression.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Graph;

/// <summary>Average pooling; by default padded zeros are not counted (ONNX's default).</summary>
public sealed class AvgPool2dLayer : WindowPoolLayer
{
    /// <summary>Creates the layer with a square window that does not count padding.</summary>
    public AvgPool2dLayer(string name, string input, int kernelSize, int? stride = null, int padding = 0)
        : base(name, input, kernelSize, stride, padding) { }

    /// <summary>Creates the layer over any window (without dilation).</summary>
    public AvgPool2dLayer(string name, string input, Window2d window, bool countIncludePad = false) : base(name, input, window)
    {
        if (window.DilationHeight != 1 || window.DilationWidth != 1)
            throw new ArgumentException($"AvgPool2d '{name}': average pooling has no dilation.", nameof(window));
        CountIncludePad = countIncludePad;
    }

    /// <summary>Whether padded zeros count in each window's divisor.</summary>
    public bool CountIncludePad { get; }

    /// <inheritdoc />
    public override string Kind => "AvgPool2d";

    /// <inheritdoc />
    public override Layer WithInputs(IReadOnlyList<string> inputs) => new AvgPool2dLayer(Name, inputs[0], Window, CountIncludePad);

    internal override Tensor Forward(IReadOnlyList<Tensor> inputs, nn.Module<Tensor, Tensor>? module)
    {
        Tensor x = inputs[0];
        if (TorchPads)
            return nn.functional.avg_pool2d(x, Kernel, Strides, TorchPadding, Window.CeilMode, CountIncludePad);
        using var scope = torch.NewDisposeScope();
        // Zero-pad by hand; without count_include_pad divide the window sums by the number of real pixels in each.
        Tensor sums = nn.functional.avg_pool2d(ExplicitPad(x, 0), Kernel, Strides, TorchPadding, Window.CeilMode, true);
        if (!CountIncludePad)
        {
            Tensor ones = torch.ones(new long[] { 1, 1, x.shape[2], x.shape[3] }, dtype: x.dtype, device: x.device);
            sums = sums / nn.functional.avg_pool2d(ExplicitPad(ones, 0), Kernel, Strides, TorchPadding, Window.CeilMode, true);
        }
        return sums.MoveToOuterDisposeScope();
    }

    internal override string WriteOnnx(OnnxLayerContext onnx) =>
        onnx.Node("AveragePool", onnx.Inputs, CountIncludePad ? WindowAttributes(OnnxAttributes.Int("count_include_pad", 1)) : WindowAttributes());

    // ONNX Runtime 1.31 on AVX2: a 64-row batch's QLinearAveragePool took 1.1-3.7 ms where the float pool took 0.06-0.24 ms.
    internal override bool IntegerKernelIsSlow => true;
}
