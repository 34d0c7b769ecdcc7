using System;
using Microsoft.ML.Compression.Graph;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Tests.Graph;

/// <summary>The workarounds for libtorch 2.10's CPU convolution at widths that are not multiples of 16.</summary>
[TestClass]
public class ConvolutionKernelTests
{
    [TestMethod]
    public void ValuesAndGradientsMatchADoublePrecisionReference()
    {
        // Both layouts: GraphModule stores feature maps channels-last, where libtorch runs other kernels.
        foreach (bool channelsLast in new[] { false, true })
        foreach (int kernel in new[] { 1, 3, 5 })
        foreach (var (inChannels, outChannels, groups) in new[] { (3, 8, 1), (8, 8, 1), (6, 21, 1), (18, 24, 1), (24, 13, 1), (32, 40, 1), (16, 16, 1), (40, 20, 2), (12, 12, 12) })
        {
            torch.random.manual_seed(inChannels * 100 + outChannels);
            using var scope = torch.NewDisposeScope();
            int padding = kernel / 2;
            var layer = new Conv2dLayer("c", "input", inChannels, outChannels, kernel, stride: 1, padding: padding, groups: groups);
            var x = torch.randn(4, inChannels, 9, 9).requires_grad_(true);
            var w = torch.randn(outChannels, inChannels / groups, kernel, kernel).requires_grad_(true);
            var b = torch.randn(outChannels);
            var y = ConvolutionKernel.Conv2d(channelsLast ? ConvolutionKernel.ToChannelsLast(x) : x, w, b, layer);
            var g = torch.randn_like(y);
            var grads = torch.autograd.grad(new[] { (y * g).sum() }, new[] { x, w });

            var xd = x.detach().to(float64).requires_grad_(true);
            var wd = w.detach().to(float64).requires_grad_(true);
            var yd = nn.functional.conv2d(xd, wd, b.to(float64), padding: new long[] { padding, padding }, groups: groups);
            var expected = torch.autograd.grad(new[] { (yd * g.to(float64)).sum() }, new[] { xd, wd });

            string what = $"{inChannels}->{outChannels} k{kernel} groups {groups}{(channelsLast ? " channels-last" : "")}";
            TensorAssert.Close(yd, y, what + " output");
            TensorAssert.Close(expected[0], grads[0], what + " input gradient");
            TensorAssert.Close(expected[1], grads[1], what + " weight gradient");
        }
    }
}
