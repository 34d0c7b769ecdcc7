using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Graph;

/// <summary>
/// The 2-D convolution every TorchSharp module of this library runs, with workarounds for two faults of libtorch
/// 2.10's CPU kernels (measured against a float64 reference; widths of 16, 32, 64... are unaffected):
/// for kernels larger than 1x1 the forward pass is wrong when a group reads more than 16 input channels that are not a
/// multiple of 16 (17..31, 33..47...), and the gradient with respect to the input is wrong (sometimes NaN) when the
/// number of output channels is not a multiple of 16. Pruned networks have such widths. The affected channel counts
/// are zero-padded to the next multiple of 16 (zero inputs, zero filters, sliced off the output), which gives the
/// same values and gradients.
/// </summary>
internal static class ConvolutionKernel
{
    private const int Block = 16;

    /// <summary>conv2d(x, w, b) with <paramref name="layer"/>'s window and groups.</summary>
    public static Tensor Conv2d(Tensor x, Tensor w, Tensor? b, Conv2dLayer layer)
    {
        Window2d win = layer.Window;
        if (win.IsSymmetric)
            return Conv2d(x, w, b, win, new long[] { win.PadTop, win.PadLeft }, layer.Groups);
        // TorchSharp pads both sides alike: pad explicitly (zeros), then convolve without padding.
        using var scope = torch.NewDisposeScope();
        Tensor padded = nn.functional.pad(x, new long[] { win.PadLeft, win.PadRight, win.PadTop, win.PadBottom });
        return Conv2d(padded, w, b, win, new long[] { 0, 0 }, layer.Groups).MoveToOuterDisposeScope();
    }

    /// <summary>conv2d(x, w, b) with symmetric <paramref name="pads"/>, padded where libtorch needs it.</summary>
    private static Tensor Conv2d(Tensor x, Tensor w, Tensor? b, Window2d win, long[] pads, int groups)
    {
        long[] strides = { win.StrideHeight, win.StrideWidth }, dilations = { win.DilationHeight, win.DilationWidth };
        int perGroup = (int)w.shape[1], outputs = (int)w.shape[0], kh = (int)w.shape[2], kw = (int)w.shape[3];
        int kernel = Math.Max(kh, kw);
        int inPad = kernel > 1 && perGroup > Block && perGroup % Block != 0 ? RoundUp(perGroup) - perGroup : 0;
        int outPad = groups == 1 && x.requires_grad && outputs % Block != 0 ? RoundUp(outputs) - outputs : 0;
        if (inPad == 0 && outPad == 0)
            return nn.functional.conv2d(x, w, b, strides, pads, dilations, groups);

        using var scope = torch.NewDisposeScope();
        Tensor y;
        if (groups == 1)
        {
            Tensor xp = inPad == 0 ? x : torch.cat(new[] { x, Zeros(x, x.shape[0], inPad, x.shape[2], x.shape[3]) }, 1);
            Tensor wp = inPad == 0 ? w : torch.cat(new[] { w, Zeros(w, outputs, inPad, kh, kw) }, 1);
            if (outPad > 0) wp = torch.cat(new[] { wp, Zeros(w, outPad, perGroup + inPad, kh, kw) }, 0);
            y = nn.functional.conv2d(xp, wp, null, strides, pads, dilations);
            if (outPad > 0) y = y.narrow(1, 0, outputs);
        }
        else
        {
            var xs = x.chunk(groups, 1);
            var ws = w.chunk(groups, 0);
            var parts = new Tensor[groups];
            for (int g = 0; g < groups; g++)
                parts[g] = Conv2d(xs[g], ws[g], null, win, pads, 1);
            y = torch.cat(parts, 1);
        }
        if (b is not null) y = y + b.reshape(1, -1, 1, 1);
        return y.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// <paramref name="x"/> [N,C,H,W] stored channels-last: the same shape and values, NHWC memory (TorchSharp has no
    /// memory-format argument; a permuted contiguous copy permuted back is that layout).
    /// </summary>
    public static Tensor ToChannelsLast(Tensor x) => x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);

    private static int RoundUp(int channels) => (channels + Block - 1) / Block * Block;

    private static Tensor Zeros(Tensor like, params long[] shape) => torch.zeros(shape, dtype: like.dtype, device: like.device);
}
