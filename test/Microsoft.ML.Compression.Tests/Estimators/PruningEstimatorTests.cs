using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.ML.Compression.Datasets;
using Microsoft.ML.Compression.Estimators;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Tests.Onnx;
using Microsoft.ML.Compression.Tests.Pruning;
using Microsoft.ML.Compression.Tests.Quantization;
using Microsoft.ML.Compression.Zoo;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Compression.Tests.Estimators;

/// <summary>NetworkSlimming and L1NormPruning as ML.NET estimators: learning, physically smaller models, ORT and ML.NET parity, options.</summary>
[TestClass]
public class PruningEstimatorTests
{
    private static readonly Dictionary<string, CompressedModelTransformer> Models = new();

    [ClassInitialize]
    public static void FitOnce(TestContext context)
    {
        var c = TestModels.Compression;
        NetworkGraph start = TestModels.LeNetWithBatchNorm;
        // Slimming at exact rates (11 of the 22 channels), L1 at the default rounding to hardware-friendly widths.
        Models["slim"] = c.NetworkSlimming(start, new NetworkSlimming.Options { PruneRate = 0.5, ExactRate = true, Sparsity = 1e-3, SparsityEpochs = 1, Epochs = 2 }).Fit(TestModels.Train);
        Models["slim-2-rounds"] = c.NetworkSlimming(start, new NetworkSlimming.Options { PruneRate = 0.5, ExactRate = true, SparsityEpochs = 0, Epochs = 1, Rounds = 2, MinimumChannels = 2 }).Fit(TestModels.Train);
        Models["l1"] = c.L1NormPruning(start, "Features", "Label", pruneRate: 0.5, epochs: 2).Fit(TestModels.Train);
    }

    [ClassCleanup]
    public static void Cleanup()
    {
        foreach (var m in Models.Values) m.Dispose();
    }

    private static double Accuracy(ITransformer model) => TestModels.Accuracy(model);

    [TestMethod]
    [DataRow("slim")]
    [DataRow("slim-2-rounds")]
    [DataRow("l1")]
    public void PrunedModelIsSmallerAndStillAccurate(string name)
    {
        CompressedModelTransformer model = Models[name];
        var pruning = model.Pruning!;
        // Half of the channels go and only 1-2 epochs on 2,000 rows fine-tune (measured: 2.6 to 7 points below the start);
        // a pruning that removed the wrong channels or broke the weights would land near chance.
        double start = TestModels.Accuracy(TestModels.LeNetWithBatchNorm);
        Assert.IsTrue(Accuracy(model) >= start - 0.08, $"{name}: accuracy {Accuracy(model)} vs the unpruned start's {start}");
        Assert.IsTrue(pruning.ParametersAfter < pruning.ParametersBefore && pruning.MacsAfter < pruning.MacsBefore, pruning.ToString());
        Assert.AreEqual(model.Network.ParameterCount, pruning.ParametersAfter);
        Assert.AreEqual(model.Report.OnnxBytes, pruning.OnnxBytesAfter);
        Assert.IsTrue(pruning.OnnxBytesAfter < pruning.OnnxBytesBefore, pruning.ToString());
        // Half of conv1's 6 and conv2's 16 channels (11 of 22) are gone at the exact rate; rounded (L1), conv1 keeps 4
        // (3 rounds up to a multiple of 2) and conv2 8, so 10 go. fc1 lost 25 inputs per conv2 channel.
        var conv2 = pruning.Layers.Single(l => l.Name == "conv2");
        var conv1 = pruning.Layers.Single(l => l.Name == "conv1");
        Assert.AreEqual(name == "l1" ? 10 : 11, conv1.Before + conv2.Before - conv1.After - conv2.After, pruning.ToString());
        Assert.AreEqual(conv2.After * 25, pruning.Layers.Single(l => l.Name == "fc1").After);
        Assert.AreEqual(conv2.After, ((BatchNorm2dLayer)model.Network["bn2"]).Channels);
        StringAssert.Contains(pruning.ToString(), "conv2");
    }

    [TestMethod]
    public void SlimmingTrainsSparsityThenFineTunes()
    {
        var history = Models["slim"].Report.History;
        Assert.AreEqual(3, history.Count, "1 sparsity epoch + 2 fine-tuning epochs");
        Assert.IsTrue(history[2].TrainLoss < history[1].TrainLoss, $"fine-tuning loss fell {history[1].TrainLoss} -> {history[2].TrainLoss}");
        Assert.AreEqual(2, Models["slim-2-rounds"].Report.History.Count, "two rounds of one fine-tuning epoch");
        Assert.IsTrue(Models["slim-2-rounds"].Pruning!.Layers.Where(l => l.Kind == "Conv2d").All(l => l.After >= 2), "MinimumChannels = 2");
        Assert.AreEqual("slim50", Models["slim"].Report.Method);
        Assert.AreEqual("l1-50", Models["l1"].Report.Method);
    }

    [TestMethod]
    public void L1PrunesAboutHalfOfEveryLayerToFriendlyWidths()
    {
        // conv1: 6 is narrower than two multiples of 8 or 4, so it keeps a multiple of 2, the tie at 3 going up.
        var layers = Models["l1"].Pruning!.Layers;
        Assert.AreEqual(4, layers.Single(l => l.Name == "conv1").After);
        Assert.AreEqual(8, layers.Single(l => l.Name == "conv2").After);
    }

    [TestMethod]
    public void TargetMacsPrunesUntilTheNetworkIsAtMostThatBig()
    {
        var rows = TestModels.Ml.Data.TakeRows(TestModels.Train, 300);
        NetworkGraph start = TestModels.LeNetWithBatchNorm;
        using var l1 = TestModels.Compression.L1NormPruning(start, new L1NormPruner.Options { TargetMacs = 0.5, Epochs = 1, Threads = 1 }).Fit(rows);
        using var slim = TestModels.Compression.NetworkSlimming(start, new NetworkSlimming.Options { TargetMacs = 0.5, SparsityEpochs = 0, Epochs = 1, Threads = 1 }).Fit(rows);
        foreach (var (model, method) in new[] { (l1, "l1-macs50"), (slim, "slimmacs50") })
        {
            var pruning = model.Pruning!;
            Assert.IsTrue(pruning.MacsAfter <= 0.5 * pruning.MacsBefore, $"{method}: {pruning}");
            Assert.AreEqual(method, model.Report.Method);
            Assert.IsTrue(pruning.Notes.Any(n => n.Contains("MACs", StringComparison.Ordinal) && n.Contains("rate", StringComparison.Ordinal)), $"{method}: the chosen rate is noted");
        }
        // L1's widths: conv2 must drop to 8 (of 16) for the target, and the smallest rate that does so (about 0.28)
        // leaves conv1 at 4 of 6.
        Assert.AreEqual(4, l1.Pruning!.Layers.Single(l => l.Name == "conv1").After);
        Assert.AreEqual(8, l1.Pruning.Layers.Single(l => l.Name == "conv2").After);
    }

    [TestMethod]
    [DataRow("slim")]
    [DataRow("l1")]
    public void OnnxRuntimeAndMLNetScoreLikeTorchSharp(string name)
    {
        CompressedModelTransformer model = Models[name];
        float[] images = TestData.MnistFeatures(MnistSplit.Test, 256);
        using var module = new GraphModule(model.Network);
        float[] expected = TorchLogits.Of(module, images, 256);
        float[] ort = OrtRunner.Run(model.OnnxModel, images, 256).Logits;
        Assert.IsTrue(TorchLogits.MaxAbsDifference(expected, ort) <= 1e-4, $"{name}: ORT max |logit difference| {TorchLogits.MaxAbsDifference(expected, ort)}");

        using var stream = new MemoryStream();
        TestModels.Ml.Model.Save(model, TestModels.Train.Schema, stream);
        stream.Position = 0;
        ITransformer loaded = TestModels.Ml.Model.Load(stream, out _);
        Assert.AreEqual(Accuracy(model), Accuracy(loaded), 1e-9, "the saved model scores the same");
    }

    [TestMethod]
    public void PrunedModelIsAValidStartingPoint()
    {
        using var again = TestModels.Compression.L1NormPruning(Models["slim"], "Features", "Label", pruneRate: 0.3, epochs: 1).Fit(TestModels.Ml.Data.TakeRows(TestModels.Train, 500));
        Assert.IsTrue(again.Network.ParameterCount < Models["slim"].Network.ParameterCount);
    }

    [TestMethod]
    public void BadOptionsFailWithClearErrors()
    {
        var c = TestModels.Compression;
        NetworkGraph start = TestModels.LeNetWithBatchNorm;
        foreach (double rate in new[] { -0.1, 1.0 })
        {
            var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => c.NetworkSlimming(start, pruneRate: rate));
            StringAssert.Contains(e.Message, "PruneRate");
            Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => c.L1NormPruning(start, pruneRate: rate));
        }
        var empties = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => c.L1NormPruning(start, new L1NormPruner.Options { PruneRate = 0.95, ExactRate = true }));
        StringAssert.Contains(empties.Message, "'conv1'");
        c.L1NormPruning(start, pruneRate: 0.95); // rounded, every layer keeps at least one multiple
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            c.NetworkSlimming(start, new NetworkSlimming.Options { MinimumChannels = 0 })).Message, "MinimumChannels");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            c.NetworkSlimming(start, new NetworkSlimming.Options { Sparsity = -1 })).Message, "Sparsity");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() =>
            c.NetworkSlimming(start, new NetworkSlimming.Options { ExcludeLayers = new[] { "nope" } })).Message, "ExcludeLayers");
        var noBatchNorm = TestWeights.FillRandom(NetworkZoo.LeNet5(), 1);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => c.NetworkSlimming(noBatchNorm)).Message, "BatchNorm");
    }

    [TestMethod]
    public void LayerPruneRatesPruneSingleLayersAtTheirOwnRate()
    {
        var c = TestModels.Compression;
        NetworkGraph start = TestModels.LeNetWithBatchNorm;
        // Exact rates: conv1 loses round(0.5 x 6) = 3 of 6 channels, conv2 round(0.75 x 16) = 12 of 16.
        using var model = c.L1NormPruning(start, new L1NormPruner.Options
        {
            PruneRate = 0.5, ExactRate = true, Epochs = 1, LayerPruneRates = new() { ["conv2"] = 0.75 },
        }).Fit(TestModels.Train);
        var widths = model.Pruning!.Layers.ToDictionary(l => l.Name);
        Assert.AreEqual(3, widths["conv1"].After, model.Pruning.ToString());
        Assert.AreEqual(4, widths["conv2"].After, model.Pruning.ToString());

        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() =>
            c.L1NormPruning(start, new L1NormPruner.Options { LayerPruneRates = new() { ["nope"] = 0.5 } })).Message, "conv2");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            c.L1NormPruning(start, new L1NormPruner.Options { LayerPruneRates = new() { ["conv1"] = 1.0 } })).Message, "LayerPruneRates['conv1']");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() =>
            c.L1NormPruning(start, new L1NormPruner.Options { TargetMacs = 0.5, LayerPruneRates = new() { ["conv1"] = 0.5 } })).Message, "TargetMacs");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() =>
            c.NetworkSlimming(start, new NetworkSlimming.Options { LayerPruneRates = new() { ["conv1"] = 0.5 } })).Message, "global threshold");
    }

}
