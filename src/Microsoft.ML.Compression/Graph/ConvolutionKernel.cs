using System;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Graph;

/// <summary>
/// The 2-D convolution every TorchSharp module of this library runs, with a workaround for libtorch 2.10's CPU kernel:
/// for kernels larger than 1x1 it returns wrong values when a group reads more than 16 input channels that are not a
/// multiple of 16 (e.g. 17..31, 33..47; pruned networks have such widths). Those inputs are zero-padded to the next
/// multiple of 16, with zero weights for the padding, which gives the same result (and gradients) exactly.
/// </summary>
internal static class ConvolutionKernel
{
    private const int Block = 16;

    /// <summary>Whether <paramref name="layer"/> hits the libtorch bug and runs padded.</summary>
    public static bool NeedsPadding(Conv2dLayer layer) => NeedsPadding(layer.InChannels / layer.Groups, layer.KernelSize);

    private static bool NeedsPadding(int channelsPerGroup, int kernel) => kernel > 1 && channelsPerGroup > Block && channelsPerGroup % Block != 0;

    /// <summary>conv2d(x, w, b) with <paramref name="layer"/>'s stride, padding and groups.</summary>
    public static Tensor Conv2d(Tensor x, Tensor w, Tensor? b, Conv2dLayer layer) =>
        Conv2d(x, w, b, layer.Stride, layer.Padding, layer.Groups);

    /// <summary>conv2d(x, w, b), padded where libtorch needs it.</summary>
    public static Tensor Conv2d(Tensor x, Tensor w, Tensor? b, int stride, int padding, int groups)
    {
        long[] strides = { stride, stride }, pads = { padding, padding };
        int perGroup = (int)w.shape[1];
        if (!NeedsPadding(perGroup, (int)w.shape[2]))
            return nn.functional.conv2d(x, w, b, strides, pads, groups: groups);

        using var scope = torch.NewDisposeScope();
        int padded = (perGroup + Block - 1) / Block * Block;
        long outPerGroup = w.shape[0] / groups;
        var xs = x.chunk(groups, 1);
        var ws = w.chunk(groups, 0);
        var outputs = new Tensor[groups];
        for (int g = 0; g < groups; g++)
        {
            Tensor xg = torch.cat(new[] { xs[g], torch.zeros(x.shape[0], padded - perGroup, x.shape[2], x.shape[3], dtype: x.dtype, device: x.device) }, 1);
            Tensor wg = torch.cat(new[] { ws[g], torch.zeros(outPerGroup, padded - perGroup, w.shape[2], w.shape[3], dtype: w.dtype, device: w.device) }, 1);
            outputs[g] = nn.functional.conv2d(xg, wg, null, strides, pads);
        }
        Tensor y = groups == 1 ? outputs[0] : torch.cat(outputs, 1);
        if (b is not null) y = y + b.reshape(1, -1, 1, 1);
        return y.MoveToOuterDisposeScope();
    }
}
