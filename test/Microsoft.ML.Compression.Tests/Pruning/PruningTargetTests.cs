using System;
using System.Linq;
using Microsoft.ML.Compression.Estimators;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Pruning;
using Microsoft.ML.Compression.Tests.Onnx;
using Microsoft.ML.Compression.Zoo;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Compression.Tests.Pruning;

/// <summary>Hardware-friendly widths on residual networks, and target-driven pruning (TargetMacs, TargetParameters).</summary>
[TestClass]
public class PruningTargetTests
{
    private static readonly NetworkGraph ResNet = TestWeights.FillRandom(NetworkZoo.ResNet20(), 8);

    [TestMethod]
    public void CoupledResidualStagesKeepMultiplesOfEight()
    {
        var deps = new ChannelDependencies(ResNet, ResidualPruning.Coupled);
        Assert.IsTrue(deps.Groups.Count(g => g.Layers.Count > 1) == 3, "one coupled group per residual stage");
        NetworkGraph pruned = ChannelPruner.Prune(deps, ChannelSelection.PerGroup(deps, ChannelImportance.FilterL1(deps), 0.3, multiple: 8));
        // 0.3 of 16 / 32 / 64 channels keeps 11 / 22 / 45 exactly, the nearest multiples of 8 are 8 / 24 / 48.
        foreach (ChannelGroup g in deps.Groups)
        {
            int expected = g.Width switch { 16 => 8, 32 => 24, 64 => 48, _ => throw new AssertFailedException($"{g.Name}: width {g.Width}") };
            foreach (string layer in g.Layers)
                Assert.AreEqual(expected, ((Conv2dLayer)pruned[layer]).OutChannels, $"{layer} of {g.Name}");
        }
        Assert.IsTrue(pruned.Layers.OfType<Conv2dLayer>().All(c => c.OutChannels % 8 == 0), "every convolution, the stem and the downsamples included");
    }

    [TestMethod]
    public void PredictedMacsAreThoseOfThePrunedNetwork()
    {
        var deps = new ChannelDependencies(ResNet);
        var removed = PruningTestNets.RandomRemoval(deps, 0.4, seed: 3);
        Assert.AreEqual(ChannelPruner.Prune(deps, removed).Macs, deps.PredictedMacs(removed));
        Assert.AreEqual(ResNet.Macs, deps.PredictedMacs(new System.Collections.Generic.HashSet<int>()));
    }

    [TestMethod]
    [DataRow(0.5, 8)]
    [DataRow(0.3, 8)]
    [DataRow(0.5, 1)]
    public void APerLayerTargetIsReachedAsClosely(double fraction, int multiple)
    {
        var deps = new ChannelDependencies(ResNet);
        var scores = ChannelImportance.FilterL1(deps);
        long target = (long)Math.Floor(fraction * ResNet.Macs);
        PruningTarget.Result found = PruningTarget.PerGroup(deps, scores, new(fraction, null), multiple);
        Assert.IsTrue(found.Reached);
        Assert.IsTrue(found.Macs <= target, $"{found.Macs} MACs for a target of {target}");
        Assert.AreEqual(found.Macs, deps.PredictedMacs(found.Removed));
        CollectionAssert.AreEquivalent(ChannelSelection.PerGroup(deps, scores, found.Rate, multiple: multiple).ToArray(), found.Removed.ToArray(), "the rate reproduces the selection");
        // One step less pruning (a rate just below) is over the target: no selection of this kind is closer from below.
        var lessPruned = ChannelSelection.PerGroup(deps, scores, found.Rate - 1e-9, multiple: multiple);
        Assert.IsTrue(deps.PredictedMacs(lessPruned) > target, $"rate {found.Rate}");
        if (multiple == 8)
            foreach (ChannelGroup g in deps.Groups)
                Assert.AreEqual(0, g.Channels.Count(c => !found.Removed.Contains(c.Id)) % 8, g.Name);
    }

    [TestMethod]
    public void AGlobalTargetIsReachedAndAnUnreachableOneSaysSo()
    {
        NetworkGraph vgg = TestWeights.FillRandom(NetworkZoo.Vgg(), 9);
        var deps = new ChannelDependencies(vgg);
        var scores = ChannelImportance.BatchNormScale(deps);
        PruningTarget.Result found = PruningTarget.Global(deps, scores, new(0.4, null), 8);
        Assert.IsTrue(found.Reached && found.Macs <= 0.4 * vgg.Macs, $"{found.Macs} of {vgg.Macs}");
        var lessPruned = ChannelSelection.RoundKept(deps, ChannelSelection.GlobalThreshold(deps, scores, found.Rate - 1e-9), scores, 8);
        Assert.IsTrue(deps.PredictedMacs(lessPruned) > 0.4 * vgg.Macs);

        // One multiple per layer is as far as it goes.
        PruningTarget.Result floor = PruningTarget.Global(deps, scores, new(0.001, null), 8);
        Assert.IsFalse(floor.Reached);
        Assert.AreEqual(PruningTarget.MaxRate, floor.Rate);
        Assert.AreEqual(1.0, PruningTarget.PerGroup(deps, scores, new(1.0, null), 8).Macs / (double)vgg.Macs, "a target of 1 prunes nothing");
    }

    [TestMethod]
    public void AParameterTargetIsReachedAsClosely_AndWithAMacTargetBothHold()
    {
        // ResNet-20 keeps most parameters in its last stage and most MACs in its first, so the two targets pick
        // different rates; counts are checked on the network physically pruned, not on the search's prediction.
        var deps = new ChannelDependencies(ResNet);
        var scores = ChannelImportance.FilterL1(deps);
        long maxParameters = (long)Math.Floor(0.4 * ResNet.ParameterCount), maxMacs = (long)Math.Floor(0.4 * ResNet.Macs);
        PruningTarget.Result size = PruningTarget.PerGroup(deps, scores, new(null, 0.4), 8);
        NetworkGraph pruned = ChannelPruner.Prune(deps, size.Removed);
        Assert.IsTrue(size.Reached && pruned.ParameterCount <= maxParameters, $"{pruned.ParameterCount} parameters for a target of {maxParameters}");
        Assert.AreEqual(pruned.ParameterCount, size.Parameters);
        Assert.AreEqual(pruned.Macs, size.Macs);
        var lessPruned = ChannelSelection.PerGroup(deps, scores, size.Rate - 1e-9, multiple: 8);
        Assert.IsTrue(ChannelPruner.Prune(deps, lessPruned).ParameterCount > maxParameters, $"rate {size.Rate}");

        PruningTarget.Result macs = PruningTarget.PerGroup(deps, scores, new(0.4, null), 8);
        PruningTarget.Result both = PruningTarget.PerGroup(deps, scores, new(0.4, 0.4), 8);
        Assert.AreNotEqual(size.Rate, macs.Rate, "the example needs targets that pick different rates");
        Assert.AreEqual(Math.Max(size.Rate, macs.Rate), both.Rate, "both targets: the larger of the two rates");
        NetworkGraph bothPruned = ChannelPruner.Prune(deps, both.Removed);
        Assert.IsTrue(bothPruned.ParameterCount <= maxParameters && bothPruned.Macs <= maxMacs);
    }

    [TestMethod]
    public void TargetParametersPrunesANetworkToAtMostThatSize_AndIsNamedInTheMethod()
    {
        // LeNet-5 keeps most parameters in fc1, which reads conv2's 16 channels: 0.7 needs conv2 at 8.
        var rows = TestModels.Ml.Data.TakeRows(TestModels.Train, 300);
        NetworkGraph start = TestModels.LeNetWithBatchNorm;
        using var slim = TestModels.Compression.NetworkSlimming(start, new NetworkSlimming.Options { TargetParameters = 0.7, SparsityEpochs = 0, Epochs = 1, Threads = 1 }).Fit(rows);
        using var l1 = TestModels.Compression.L1NormPruning(start, new L1NormPruner.Options { TargetParameters = 0.7, TargetMacs = 0.8, Epochs = 1, Threads = 1 }).Fit(rows);
        foreach (var (model, method) in new[] { (slim, "slimparams70"), (l1, "l1-macs80-params70") })
        {
            Assert.AreEqual(method, model.Report.Method);
            long kept = model.Network.ParameterCount;
            Assert.IsTrue(kept <= 0.7 * start.ParameterCount && kept > 0.2 * start.ParameterCount, $"{method}: {kept} of {start.ParameterCount} parameters");
            Assert.IsTrue(model.Pruning!.Notes.Any(n => n.Contains("parameters", StringComparison.Ordinal) && n.Contains("rate", StringComparison.Ordinal)), $"{method}: the chosen rate is noted");
        }
        Assert.IsTrue(l1.Network.Macs <= 0.8 * start.Macs, $"l1: {l1.Network.Macs} of {start.Macs} MACs");
    }

    [TestMethod]
    public void TargetMacsIsValidatedNamingTheOption()
    {
        foreach (double bad in new[] { 0, -0.5, 1.5, double.NaN })
        {
            var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new L1NormPruner.Options { TargetMacs = bad }.Validate());
            Assert.AreEqual(nameof(PruningOptions.TargetMacs), e.ParamName);
            StringAssert.Contains(e.Message, "TargetMacs must be in (0, 1]");
        }
        new NetworkSlimming.Options { TargetMacs = 1 }.Validate();

        // Per-layer widths do not depend on the scores, so an unreachable target fails before Fit.
        var far = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            TestModels.Compression.L1NormPruning(TestModels.LeNetWithBatchNorm, new L1NormPruner.Options { TargetMacs = 0.01 }));
        Assert.AreEqual(nameof(PruningOptions.TargetMacs), far.ParamName);
        StringAssert.Contains(far.Message, "out of reach");

        foreach (double bad in new[] { 0, 1.01, double.NaN })
        {
            var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new NetworkSlimming.Options { TargetParameters = bad }.Validate());
            Assert.AreEqual(nameof(PruningOptions.TargetParameters), e.ParamName);
        }
        var small = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            TestModels.Compression.L1NormPruning(TestModels.LeNetWithBatchNorm, new L1NormPruner.Options { TargetParameters = 0.001 }));
        Assert.AreEqual(nameof(PruningOptions.TargetParameters), small.ParamName);
        StringAssert.Contains(small.Message, "parameters");
        var perLayer = Assert.ThrowsExactly<ArgumentException>(() =>
            new L1NormPruner.Options { TargetParameters = 0.5, LayerPruneRates = new() { ["conv1"] = 0.5 } }.Validate());
        StringAssert.Contains(perLayer.Message, "TargetParameters");
    }
}
