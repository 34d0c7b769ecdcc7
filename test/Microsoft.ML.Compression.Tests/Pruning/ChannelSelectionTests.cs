using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Pruning;
using Microsoft.ML.Compression.Pruning.Slimming;
using Microsoft.ML.Compression.Tests.Onnx;
using Microsoft.ML.Compression.Zoo;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;
using TorchSharp.Modules;

namespace Microsoft.ML.Compression.Tests.Pruning;

/// <summary>Scores, the global threshold, per-layer rates and Network Slimming's sparsity subgradient.</summary>
[TestClass]
public class ChannelSelectionTests
{
    private static void SetGammas(NetworkGraph net, string bn, params float[] gammas) =>
        net[bn].SetParameter("weight", new ParameterTensor(new[] { gammas.Length }, gammas));

    [TestMethod]
    public void GlobalThresholdRemovesTheSmallestGammasAcrossLayers()
    {
        NetworkGraph net = TestWeights.FillRandom(NetworkZoo.Vgg(widths: new[] { new[] { 4 }, new[] { 4 } }, hidden: 8), 1);
        SetGammas(net, "bn1", 0.9f, -0.01f, 0.5f, 0.02f);
        SetGammas(net, "bn2", 0.03f, -0.8f, 0.7f, 0.6f);
        var deps = new ChannelDependencies(net);
        var scores = ChannelImportance.BatchNormScale(deps);
        Assert.AreEqual(0.01, scores[deps.ChannelIdsOf("conv1")![1]], 1e-6, "|gamma|");

        // 3 of 8: the smallest |gamma| overall (0.01, 0.02 in bn1 and 0.03 in bn2), not the same count per layer.
        var removed = ChannelSelection.GlobalThreshold(deps, scores, 3.0 / 8);
        CollectionAssert.AreEquivalent(new[] { ("conv1", 1), ("conv1", 3), ("conv2", 0) },
            removed.Select(id => (deps.Channels[id].Filters[0].Layer, deps.Channels[id].Filters[0].Channel)).ToArray());

        // A minimum of 3 channels per layer moves the third removal from bn1's 0.5 ... to bn2's next-smallest.
        removed = ChannelSelection.GlobalThreshold(deps, scores, 4.0 / 8, minimumChannels: 3);
        Assert.AreEqual(2, removed.Count, "each layer can lose only one channel");
        Assert.IsTrue(deps.Groups.All(g => g.Channels.Count(c => !removed.Contains(c.Id)) >= 3));
    }

    [TestMethod]
    public void CoupledChannelScoreIsItsLargestGamma()
    {
        NetworkGraph net = TestWeights.FillRandom(NetworkZoo.ResNet20(), 2);
        var deps = new ChannelDependencies(net);
        CoupledChannel channel = deps.Groups.Single(g => g.Layers.Contains("stem_conv")).Channels[0];
        float largest = channel.BatchNorms.Max(b => Math.Abs(net[b.Layer].Parameters["weight"].Data[b.Channel]));
        Assert.AreEqual(largest, ChannelImportance.BatchNormScale(deps)[channel.Id], 1e-6);
    }

    [TestMethod]
    public void PerLayerRateRemovesTheSmallestL1FiltersOfEachLayer()
    {
        NetworkGraph net = TestWeights.FillRandom(NetworkZoo.LeNet5(), 3);
        var deps = new ChannelDependencies(net);
        var scores = ChannelImportance.FilterL1(deps);
        float[] w = net["conv1"].Parameters["weight"].Data;
        int first = deps.ChannelIdsOf("conv1")![0];
        Assert.AreEqual(w.Take(25).Sum(v => Math.Abs((double)v)), scores[first], 1e-4);

        var removed = ChannelSelection.PerGroup(deps, scores, 0.5);
        foreach (ChannelGroup g in deps.Groups)
        {
            var gone = g.Channels.Where(c => removed.Contains(c.Id)).ToList();
            Assert.AreEqual(g.Width / 2, gone.Count, g.Name);
            Assert.IsTrue(gone.Max(c => scores[c.Id]) <= g.Channels.Where(c => !removed.Contains(c.Id)).Min(c => scores[c.Id]), g.Name);
        }
    }

    [TestMethod]
    public void RoundingKeepsTheNearestMultipleOfTheChannelMultiple()
    {
        NetworkGraph net = TestWeights.FillRandom(NetworkZoo.Vgg(), 6);
        var deps = new ChannelDependencies(net);
        var scores = ChannelImportance.BatchNormScale(deps);
        var removed = ChannelSelection.GlobalThreshold(deps, scores, 0.5);
        var rounded = ChannelSelection.RoundKept(deps, removed, scores, 8);
        CollectionAssert.AreEquivalent(removed.ToArray(), ChannelSelection.RoundKept(deps, removed, scores, 1).ToArray(), "a multiple of 1 changes nothing");
        foreach (ChannelGroup g in deps.Groups)
        {
            int kept = g.Channels.Count(c => !rounded.Contains(c.Id));
            int before = g.Channels.Count(c => !removed.Contains(c.Id));
            Assert.AreEqual(0, kept % 8, $"{g.Name} keeps {kept}");
            Assert.AreEqual(ChannelSelection.RoundWidth(g.Width, before, 8), kept, $"{g.Name}: {before} -> {kept}");
            Assert.IsTrue(Math.Abs(kept - before) <= 4, $"{g.Name}: {before} -> {kept}, the nearest multiple");
            // Rounding either way keeps the best-scored: every channel gone scores at most every channel kept.
            var gone = g.Channels.Where(c => rounded.Contains(c.Id)).Select(c => scores[c.Id]).DefaultIfEmpty(double.MinValue).Max();
            var stay = g.Channels.Where(c => !rounded.Contains(c.Id)).Select(c => scores[c.Id]).Min();
            Assert.IsTrue(gone <= stay, g.Name);
        }
        // Vgg's groups are 32, 32, 64, 64, 128, 128 wide: with 0.95 removed globally rounding still leaves one multiple,
        // and a minimum of 12 channels rounds up to 16.
        var most = ChannelSelection.RoundKept(deps, ChannelSelection.GlobalThreshold(deps, scores, 0.95, 12), scores, 8, minimumChannels: 12);
        Assert.IsTrue(deps.Groups.All(g => g.Channels.Count(c => !most.Contains(c.Id)) is var k && k >= 16 && k % 8 == 0));
    }

    [TestMethod]
    public void TheMultipleFallsBackToHalvesForNarrowLayers()
    {
        // At least two multiples fit: 16 and more channels use 8, 8 to 15 use 4, 4 to 7 use 2, fewer 1.
        int[] widths = { 64, 16, 15, 12, 8, 7, 6, 4, 3, 1 };
        int[] expected = { 8, 8, 4, 4, 4, 2, 2, 2, 1, 1 };
        CollectionAssert.AreEqual(expected, widths.Select(w => ChannelSelection.MultipleFor(w, 8)).ToArray());
        Assert.AreEqual(16, ChannelSelection.MultipleFor(40, 16));
        Assert.AreEqual(8, ChannelSelection.MultipleFor(24, 16));
        Assert.AreEqual(3, ChannelSelection.MultipleFor(11, 12), "halving rounds down: 12 -> 6 -> 3");
    }

    [TestMethod]
    [DataRow(64, 32, 8, 32)] // width 64 at rate 0.5: already a multiple
    [DataRow(40, 28, 8, 32)] // width 40 at rate 0.3 keeps 28: halfway between 24 and 32, a tie goes up
    [DataRow(40, 27, 8, 24)]
    [DataRow(40, 20, 8, 24)] // 40 at 0.5: 20 is halfway between 16 and 24
    [DataRow(6, 3, 8, 4)]    // width 6 at 0.5: the multiple falls back to 2; 3 is halfway between 2 and 4
    [DataRow(6, 2, 8, 2)]
    [DataRow(64, 3, 8, 8)]   // never below one multiple
    [DataRow(64, 0, 8, 8)]
    [DataRow(20, 19, 8, 20)] // the full width counts: 19 is nearer 20 than 16
    [DataRow(20, 17, 8, 16)]
    [DataRow(64, 64, 8, 64)]
    [DataRow(33, 17, 1, 17)] // a multiple of 1 is exact
    [DataRow(33, 0, 1, 1)]
    public void RoundWidthIsTheNearestAllowedWidth(int width, int kept, int multiple, int expected) =>
        Assert.AreEqual(expected, ChannelSelection.RoundWidth(width, kept, multiple));

    [TestMethod]
    public void PerGroupRoundsEachLayerAndAnExactRateDoesNot()
    {
        NetworkGraph net = TestWeights.FillRandom(NetworkZoo.Vgg(widths: new[] { new[] { 64 }, new[] { 40 }, new[] { 6 } }, hidden: 8), 7);
        var deps = new ChannelDependencies(net);
        var scores = ChannelImportance.FilterL1(deps);
        int[] Kept(HashSet<int> removed) => new[] { "conv1", "conv2", "conv3" }
            .Select(l => deps.Groups.Single(g => g.Layers.Contains(l))).Select(g => g.Channels.Count(c => !removed.Contains(c.Id))).ToArray();

        // 0.3: 64 keeps 64 - 19 = 45 -> 48; 40 keeps 28 -> 32 (tie up); 6 keeps 6 - 2 = 4, a multiple of 2.
        CollectionAssert.AreEqual(new[] { 48, 32, 4 }, Kept(ChannelSelection.PerGroup(deps, scores, 0.3, multiple: 8)));
        CollectionAssert.AreEqual(new[] { 45, 28, 4 }, Kept(ChannelSelection.PerGroup(deps, scores, 0.3, multiple: 1)), "exact");
        // 0.5: 32; 20 -> 24 (tie up); 3 -> 4 (tie up).
        CollectionAssert.AreEqual(new[] { 32, 24, 4 }, Kept(ChannelSelection.PerGroup(deps, scores, 0.5, multiple: 8)));
        CollectionAssert.AreEqual(new[] { 32, 20, 3 }, Kept(ChannelSelection.PerGroup(deps, scores, 0.5)), "exact");
        // 0.95 would empty the 6-channel layer exactly; rounded, every layer keeps one multiple.
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ChannelSelection.PerGroup(deps, scores, 0.95, "PruneRate"));
        CollectionAssert.AreEqual(new[] { 8, 8, 2 }, Kept(ChannelSelection.PerGroup(deps, scores, 0.95, "PruneRate", multiple: 8)));
        // The lowest-scored go.
        var removed = ChannelSelection.PerGroup(deps, scores, 0.3, multiple: 8);
        foreach (ChannelGroup g in deps.Groups)
            Assert.IsTrue(g.Channels.Where(c => removed.Contains(c.Id)).Max(c => scores[c.Id]) <= g.Channels.Where(c => !removed.Contains(c.Id)).Min(c => scores[c.Id]), g.Name);
    }

    [TestMethod]
    public void BadRatesFailWithClearErrors()
    {
        NetworkGraph net = TestWeights.FillRandom(NetworkZoo.LeNet5(), 4);
        var deps = new ChannelDependencies(net);
        var scores = ChannelImportance.FilterL1(deps);
        foreach (double rate in new[] { -0.1, 1.0, 1.5, double.NaN })
        {
            var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ChannelSelection.PerGroup(deps, scores, rate, "PruneRate"));
            StringAssert.Contains(e.Message, "PruneRate must be in [0, 1)");
            Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ChannelSelection.GlobalThreshold(deps, scores, rate));
        }
        // conv1 has 6 filters: 0.95 x 6 rounds to 6, which would empty it.
        var empty = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ChannelSelection.PerGroup(deps, scores, 0.95, "PruneRate"));
        StringAssert.Contains(empty.Message, "all 6 channels of 'conv1'");
        // The global threshold never empties a layer, whatever the rate.
        var removed = ChannelSelection.GlobalThreshold(deps, scores, 0.99);
        Assert.IsTrue(deps.Groups.All(g => g.Channels.Any(c => !removed.Contains(c.Id))));
    }

    [TestMethod]
    public void SparsityAddsScaledSignOfGammaToItsGradient()
    {
        NetworkGraph net = TestWeights.FillRandom(NetworkZoo.LeNet5(batchNorm: true), 5);
        SetGammas(net, "bn1", 0.5f, -0.5f, 0.2f, -0.1f, 1f, 0.3f);
        using var module = new GraphModule(net);
        module.train();
        var inputs = torch.tensor(TestWeights.RandomInputs(4, net.InputSize, 5), new long[] { 4, net.InputSize });
        module.call(inputs).pow(2).sum().backward();
        var gamma = ((BatchNorm2d)module.ModuleOf("bn1")!).weight!;
        float[] before = gamma.grad!.data<float>().ToArray();

        new BatchNormSparsity(new[] { "bn1" }, 0.01).AfterBackward(module, 0);
        float[] after = gamma.grad!.data<float>().ToArray();
        float[] sign = { 1, -1, 1, -1, 1, 1 };
        for (int i = 0; i < 6; i++) Assert.AreEqual(before[i] + 0.01f * sign[i], after[i], 1e-6, $"channel {i}");
        var untouched = ((BatchNorm2d)module.ModuleOf("bn2")!).weight!.grad!.data<float>().ToArray();
        new BatchNormSparsity(new[] { "bn1" }, 0.01).AfterBackward(module, 1);
        CollectionAssert.AreEqual(untouched, ((BatchNorm2d)module.ModuleOf("bn2")!).weight!.grad!.data<float>().ToArray(), "bn2 is not penalized");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new BatchNormSparsity(new[] { "bn1" }, -1));
    }
}
