using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Pruning;
using Microsoft.ML.Compression.Tests.Onnx;
using Microsoft.ML.Compression.Zoo;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Compression.Tests.Pruning;

/// <summary>Which channels go together: residual Adds, Concat offsets, depthwise convolutions, BatchNorm and Flatten -> Linear.</summary>
[TestClass]
public class ChannelDependenciesTests
{
    [TestMethod]
    public void ResidualAddCouplesEveryConvolutionOfAStage()
    {
        var deps = new ChannelDependencies(NetworkZoo.ResNet20());
        ChannelGroup stage1 = deps.Groups.Single(g => g.Layers.Contains("stem_conv"));
        CollectionAssert.AreEqual(new[] { "stem_conv", "s1b1_conv2", "s1b2_conv2", "s1b3_conv2" }, stage1.Layers.ToArray());
        Assert.AreEqual(16, stage1.Width);
        // Channel k of the stage is channel k of each of those convolutions, and of the BatchNorms after them.
        CoupledChannel fifth = stage1.Channels[5];
        Assert.IsTrue(fifth.Filters.All(f => f.Channel == 5));
        CollectionAssert.AreEquivalent(new[] { "stem_bn", "s1b1_bn2", "s1b2_bn2", "s1b3_bn2" }, fifth.BatchNorms.Select(b => b.Layer).ToArray());

        ChannelGroup stage2 = deps.Groups.Single(g => g.Layers.Contains("s2b1_down_conv"));
        CollectionAssert.AreEquivalent(new[] { "s2b1_conv2", "s2b1_down_conv", "s2b2_conv2", "s2b3_conv2" }, stage2.Layers.ToArray());
        Assert.AreEqual(32, stage2.Width);
        // Inner convolutions of each block form their own groups: 3 stages + 9 blocks.
        Assert.AreEqual(12, deps.Groups.Count);
        Assert.AreEqual((16 + 32 + 64) + 3 * (16 + 32 + 64), deps.Channels.Count); // stages, then the blocks inside them
        Assert.AreEqual(0, deps.SkippedLayers.Count);
    }

    [TestMethod]
    public void KeepWidthLeavesResidualChannelsAlone()
    {
        var deps = new ChannelDependencies(NetworkZoo.ResNet20(), ResidualPruning.KeepWidth);
        Assert.AreEqual(9, deps.Groups.Count);
        Assert.IsTrue(deps.Groups.All(g => g.Layers.Count == 1 && g.Layers[0].EndsWith("_conv1", StringComparison.Ordinal)));
        StringAssert.Contains(deps.SkippedLayers["stem_conv"], "residual Add");
        StringAssert.Contains(deps.SkippedLayers["s3b3_conv2"], "residual Add");
    }

    [TestMethod]
    public void ConcatPlacesChannelsAtTheirOffsets()
    {
        NetworkGraph net = TestWeights.FillRandom(PruningTestNets.Inception(), 1);
        var deps = new ChannelDependencies(net);
        int[] concat = deps.ChannelIdsOf("concat")!;
        int[] left = deps.ChannelIdsOf("left")!, right = deps.ChannelIdsOf("right")!;
        CollectionAssert.AreEqual(left.Concat(right).ToArray(), concat);

        // Removing the right branch's channel 1 removes input channel 4 + 1 of the convolution reading the concat.
        int id = right[1];
        NetworkGraph pruned = ChannelPruner.Prune(deps, new HashSet<int> { id });
        var mix = (Conv2dLayer)pruned["mix"];
        Assert.AreEqual(9, mix.InChannels);
        var expected = net["mix"].Parameters["weight"].Select(1, new[] { 0, 1, 2, 3, 4, 6, 7, 8, 9 });
        CollectionAssert.AreEqual(expected.Data, mix.Parameters["weight"].Data);
        Assert.AreEqual(5, ((Conv2dLayer)pruned["right"]).OutChannels);
        Assert.AreEqual(5, ((BatchNorm2dLayer)pruned["right_bn"]).Channels);
    }

    [TestMethod]
    public void DepthwiseConvolutionGoesWithTheChannelsItReads()
    {
        var deps = new ChannelDependencies(NetworkZoo.MobileNetV2());
        ChannelGroup expand = deps.Groups.Single(g => g.Layers[0] == "b2_expand");
        CollectionAssert.AreEqual(new[] { "b2_expand", "b2_dw" }, expand.Layers.ToArray());
        CollectionAssert.AreEquivalent(new[] { "b2_expand_bn", "b2_dw_bn" }, expand.Channels[0].BatchNorms.Select(b => b.Layer).ToArray());
        // b2 changes width (no Add); b3 adds its output to b2's, so b2 and b3 projections share channels.
        Assert.IsTrue(deps.Groups.Any(g => g.Layers.SequenceEqual(new[] { "b2_project", "b3_project" })));

        NetworkGraph net = TestWeights.FillRandom(NetworkZoo.MobileNetV2(), 2);
        deps = new ChannelDependencies(net);
        expand = deps.Groups.Single(g => g.Layers[0] == "b2_expand");
        var removed = expand.Channels.Take(10).Select(c => c.Id).ToHashSet();
        NetworkGraph pruned = ChannelPruner.Prune(deps, removed);
        var dw = (Conv2dLayer)pruned["b2_dw"];
        Assert.AreEqual(expand.Width - 10, dw.InChannels);
        Assert.AreEqual(dw.InChannels, dw.Groups, "a depthwise convolution stays depthwise");
        Assert.AreEqual(dw.InChannels, ((Conv2dLayer)pruned["b2_project"]).InChannels);
    }

    [TestMethod]
    public void FlattenMapsEachChannelToABlockOfLinearInputs()
    {
        NetworkGraph net = TestWeights.FillRandom(NetworkZoo.LeNet5(), 3);
        var deps = new ChannelDependencies(net);
        CoupledChannel conv2Channel3 = deps.Channels.Single(c => c.Filters.SequenceEqual(new[] { new LayerChannel("conv2", 3) }));
        NetworkGraph pruned = ChannelPruner.Prune(deps, new HashSet<int> { conv2Channel3.Id });
        var fc1 = (LinearLayer)pruned["fc1"];
        Assert.AreEqual(15 * 25, fc1.InFeatures);
        int[] kept = Enumerable.Range(0, 400).Where(f => f / 25 != 3).ToArray();
        CollectionAssert.AreEqual(net["fc1"].Parameters["weight"].Select(1, kept).Data, fc1.Parameters["weight"].Data);
        // Linear outputs and the logits are never pruned.
        Assert.IsTrue(deps.Channels.All(c => c.Filters.All(f => f.Layer.StartsWith("conv", StringComparison.Ordinal))));
    }

    [TestMethod]
    public void ImageChannelsLogitsAndExcludedLayersAreNeverPruned()
    {
        var b = new NetworkBuilder("gap-logits", 3, 8, 8);
        string x = b.ReLU(b.Conv2d(b.Input, 8, 3, padding: 1, name: "body"), "relu");
        x = b.Add(x, b.Conv2d(b.Input, 8, 1, name: "skip"), "add");
        string logits = b.Flatten(b.GlobalAvgPool(b.Conv2d(x, 10, 1, name: "classifier"), "gap"), "flatten");
        var deps = new ChannelDependencies(b.Build(logits));
        Assert.AreEqual(1, deps.Groups.Count, "body and skip are coupled; the classifier's channels are the logits");
        StringAssert.Contains(deps.SkippedLayers["classifier"], "logits");
        Assert.IsTrue(deps.ChannelIdsOf(NetworkGraph.InputName)!.All(id => id < 0));

        var excluded = new ChannelDependencies(NetworkZoo.Vgg(), excludedLayers: new[] { "conv1" });
        Assert.IsFalse(excluded.Groups.Any(g => g.Layers.Contains("conv1")));
        StringAssert.Contains(excluded.SkippedLayers["conv1"], "excluded");
        var error = Assert.ThrowsExactly<ArgumentException>(() => new ChannelDependencies(NetworkZoo.Vgg(), excludedLayers: new[] { "fc1" }, optionName: "ExcludeLayers"));
        StringAssert.Contains(error.Message, "ExcludeLayers");
        StringAssert.Contains(error.Message, "'fc1'");
    }

    [TestMethod]
    public void RemovingEveryChannelOfALayerIsRefused()
    {
        NetworkGraph net = TestWeights.FillRandom(NetworkZoo.LeNet5(), 4);
        var deps = new ChannelDependencies(net);
        var conv1 = deps.Groups.Single(g => g.Layers[0] == "conv1").Channels.Select(c => c.Id).ToHashSet();
        var error = Assert.ThrowsExactly<InvalidOperationException>(() => ChannelPruner.Prune(deps, conv1));
        StringAssert.Contains(error.Message, "conv1");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ChannelPruner.Prune(deps, new HashSet<int> { deps.Channels.Count }));
    }
}
