using System;
using System.Linq;
using Microsoft.ML.Compression.Estimators;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Pruning;
using Microsoft.ML.Compression.Tests.Onnx;
using Microsoft.ML.Compression.Zoo;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Compression.Tests.Pruning;

/// <summary>Hardware-friendly widths on residual networks, and target-driven pruning (TargetMacs).</summary>
[TestClass]
public class MacTargetTests
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
        MacTarget.Result found = MacTarget.PerGroup(deps, scores, fraction, multiple);
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
        MacTarget.Result found = MacTarget.Global(deps, scores, 0.4, 8);
        Assert.IsTrue(found.Reached && found.Macs <= 0.4 * vgg.Macs, $"{found.Macs} of {vgg.Macs}");
        var lessPruned = ChannelSelection.RoundKept(deps, ChannelSelection.GlobalThreshold(deps, scores, found.Rate - 1e-9), scores, 8);
        Assert.IsTrue(deps.PredictedMacs(lessPruned) > 0.4 * vgg.Macs);

        // One multiple per layer is as far as it goes.
        MacTarget.Result floor = MacTarget.Global(deps, scores, 0.001, 8);
        Assert.IsFalse(floor.Reached);
        Assert.AreEqual(MacTarget.MaxRate, floor.Rate);
        Assert.AreEqual(1.0, MacTarget.PerGroup(deps, scores, 1.0, 8).Macs / (double)vgg.Macs, "a target of 1 prunes nothing");
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
    }
}
