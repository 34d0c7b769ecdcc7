using System.Linq;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Pruning;
using Microsoft.ML.Compression.Tests.Onnx;
using Microsoft.ML.Compression.Tests.Pruning;
using Microsoft.ML.Compression.Zoo;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Compression.Tests.Zoo;

/// <summary>
/// Structured pruning finds the channel groups of the ImageNet architectures (residual Adds couple every stage of a
/// ResNet across its stem pool and downsample shortcut; MobileNetV2's depthwise convolutions follow their expansion),
/// and a pruned network computes what the masked one does and exports, for the small-image and the ImageNet stems.
/// </summary>
[TestClass]
public class ImageNetZooPruningTests
{
    [TestMethod]
    [DataRow(32)]
    [DataRow(64)]
    public void ResNet18StagesAreCoupledThroughTheirResiduals(int size)
    {
        var deps = new ChannelDependencies(NetworkZoo.ResNet18(ImageInput.Rgb(size, size), baseWidth: 4));
        ChannelGroup stage1 = deps.Groups.Single(g => g.Layers.Contains("stem_conv"));
        CollectionAssert.AreEquivalent(new[] { "stem_conv", "s1b1_conv2", "s1b2_conv2" }, stage1.Layers.ToArray(), "the max pool passes the stem's channels on");
        Assert.AreEqual(4, stage1.Width);
        for (int stage = 2; stage <= 4; stage++)
        {
            ChannelGroup g = deps.Groups.Single(g => g.Layers.Contains($"s{stage}b1_down_conv"));
            CollectionAssert.AreEquivalent(new[] { $"s{stage}b1_conv2", $"s{stage}b1_down_conv", $"s{stage}b2_conv2" }, g.Layers.ToArray());
            Assert.AreEqual(4 << (stage - 1), g.Width);
        }
        Assert.AreEqual(4 + 8, deps.Groups.Count, "four stages, then the first convolution of each of the 8 blocks");
        Assert.AreEqual(0, deps.SkippedLayers.Count, string.Join("; ", deps.SkippedLayers.Select(s => $"{s.Key}: {s.Value}")));
    }

    [TestMethod]
    public void MobileNetV2DepthwiseConvolutionsFollowTheirExpansion()
    {
        var deps = new ChannelDependencies(NetworkZoo.MobileNetV2(ImageInput.Rgb(64, 64), widthMultiplier: 0.25));
        var expansions = deps.Graph.Layers.Where(l => l.Name.EndsWith("_expand")).Select(l => l.Name).ToList();
        Assert.AreEqual(16, expansions.Count, "every block but the first expands");
        foreach (string expand in expansions)
        {
            ChannelGroup g = deps.Groups.Single(g => g.Layers.Contains(expand));
            CollectionAssert.AreEqual(new[] { expand, expand.Replace("_expand", "_dw") }, g.Layers.ToArray());
        }
        // The blocks of a stage add their projections; the first block's depthwise convolution reads the stem, and at
        // width 0.25 the stem (8) and stage 1 (8) have the same width, so that block's residual joins them too.
        CollectionAssert.AreEqual(new[] { "s4b1_project", "s4b2_project", "s4b3_project", "s4b4_project" },
            deps.Groups.Single(g => g.Layers.Contains("s4b1_project")).Layers.ToArray());
        CollectionAssert.AreEquivalent(new[] { "stem_conv", "s1b1_dw", "s1b1_project" }, deps.Groups.Single(g => g.Layers.Contains("stem_conv")).Layers.ToArray());
        var full = new ChannelDependencies(NetworkZoo.MobileNetV2(ImageInput.Rgb(64, 64)));
        CollectionAssert.AreEquivalent(new[] { "stem_conv", "s1b1_dw" }, full.Groups.Single(g => g.Layers.Contains("stem_conv")).Layers.ToArray());
        Assert.AreEqual(0, deps.SkippedLayers.Count, string.Join("; ", deps.SkippedLayers.Select(s => $"{s.Key}: {s.Value}")));
    }

    [TestMethod]
    [DataRow("resnet18", 32)]
    [DataRow("resnet18", 64)]
    [DataRow("mobilenetv2", 32)]
    [DataRow("mobilenetv2", 64)]
    public void PrunedNetworkComputesTheMaskedOneAndExports(string family, int size)
    {
        NetworkGraph net = family == "resnet18"
            ? NetworkZoo.ResNet18(ImageInput.Rgb(size, size), baseWidth: 4)
            : NetworkZoo.MobileNetV2(ImageInput.Rgb(size, size), widthMultiplier: 0.25);
        var deps = new ChannelDependencies(TestWeights.FillRandom(net, seed: size));
        PruningTestNets.AssertPrunedEqualsMaskedAndExports(deps, p: 0.4, seed: size);
    }
}
