using System;
using Microsoft.ML.Compression.Graph;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Tests.Graph;

/// <summary>The workaround for libtorch 2.10's 3x3 convolutions over 17..31, 33..47, ... input channels.</summary>
[TestClass]
public class ConvolutionKernelTests
{
    [TestMethod]
    public void ConvolutionMatchesADoublePrecisionReferenceForEveryWidth()
    {
        foreach (int groups in new[] { 1, 2 })
        foreach (int inChannels in new[] { 6, 16, 18, 24, 32, 40, 52 })
        {
            torch.random.manual_seed(inChannels);
            using var scope = torch.NewDisposeScope();
            var layer = new Conv2dLayer("c", "input", inChannels, 10, 3, stride: 1, padding: 1, groups: groups);
            var x = torch.randn(2, inChannels, 9, 9);
            var w = torch.randn(10, inChannels / groups, 3, 3);
            var b = torch.randn(10);
            var expected = nn.functional.conv2d(x.to(float64), w.to(float64), b.to(float64), padding: new long[] { 1, 1 }, groups: groups).to(float32);
            var actual = ConvolutionKernel.Conv2d(x, w, b, layer);
            float diff = (actual - expected).abs().max().item<float>();
            Assert.IsTrue(diff < 1e-3, $"{inChannels} channels, {groups} groups: max |difference| {diff}");
        }
    }
}
