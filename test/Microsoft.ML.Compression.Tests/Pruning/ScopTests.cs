using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.Compression.Datasets;
using Microsoft.ML.Compression.Estimators;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Pruning;
using Microsoft.ML.Compression.Pruning.Scop;
using Microsoft.ML.Compression.Tests.Onnx;
using Microsoft.ML.Compression.Tests.Quantization;
using Microsoft.ML.Compression.Training;
using Microsoft.ML.Compression.Zoo;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Tests.Pruning;

/// <summary>SCOP: the control mixing, training only beta with clamping, the score, and the estimator.</summary>
[TestClass]
public class ScopTests
{
    [TestMethod]
    public void ControlMixesRealAndKnockoffResponses()
    {
        NetworkGraph net = TestWeights.FillRandom(NetworkZoo.LeNet5(batchNorm: true), 1);
        float[] inputs = TestWeights.RandomInputs(4, net.InputSize, 1);
        using var plain = new GraphModule(net);
        float[] real = TorchLogits.Of(plain, inputs, 4);
        float[] flipped = TorchLogits.Of(plain, Flip(inputs, net.InputSize), 4);

        using var module = new GraphModule(net);
        var control = new ScopControl(module, new[] { "conv1", "conv2" }, x => x.flip(0));
        SetBeta(control, 1f);
        Assert.IsTrue(TorchLogits.MaxAbsDifference(real, TorchLogits.Of(module, inputs, 4)) < 1e-5, "beta = 1: the real features only");
        SetBeta(control, 0f);
        Assert.IsTrue(TorchLogits.MaxAbsDifference(flipped, TorchLogits.Of(module, inputs, 4)) < 1e-5, "beta = 0: the knockoffs' features only");
        SetBeta(control, 0.5f);
        float[] half = TorchLogits.Of(module, inputs, 4);
        Assert.IsTrue(TorchLogits.MaxAbsDifference(real, half) > 1e-3 && TorchLogits.MaxAbsDifference(flipped, half) > 1e-3, "beta = 0.5 mixes both");
    }

    [TestMethod]
    public void OnlyBetaTrainsAndStaysInTheUnitInterval()
    {
        NetworkGraph start = TestModels.LeNetWithBatchNorm;
        using var module = new GraphModule(start);
        var control = new ScopControl(module, new[] { "conv1", "conv2" }, x => x.index_select(0, torch.randperm(x.shape[0])));
        var options = new TrainingOptions { Epochs = 1, Optimizer = OptimizerKind.Adam, LearningRate = 0.2, WeightDecay = 0 };
        new TrainingLoop(options).Run(module, TestData.MnistArrays(MnistSplit.Train, 1000), null, new ITrainingHook[] { control });

        float[] beta = control.Beta("conv1").Concat(control.Beta("conv2")).ToArray();
        Assert.IsTrue(beta.All(b => b >= 0 && b <= 1), "clamped to [0, 1]");
        Assert.IsTrue(beta.Any(b => b == 1f || b == 0f), "a large learning rate pushes some beta to a bound, where it is clamped");
        Assert.IsTrue(beta.Any(b => Math.Abs(b - 0.5f) > 0.05f), "beta trained");
        NetworkGraph after = module.ToGraph();
        foreach (Layer layer in start.Layers)
            foreach (var (name, value) in layer.Parameters)
                CollectionAssert.AreEqual(value.Data, after[layer.Name].Parameters[name].Data, $"{layer.Name}.{name} is frozen");
    }

    [TestMethod]
    public void ScoreIsGammaTimesTwoBetaMinusOne()
    {
        NetworkGraph net = TestWeights.FillRandom(NetworkZoo.LeNet5(batchNorm: true), 2);
        net["bn1"].SetParameter("weight", new ParameterTensor(new[] { 6 }, new[] { 0.5f, -2f, 1f, 1f, 1f, 1f }));
        var deps = new ChannelDependencies(net);
        var beta = new Dictionary<string, float[]> { ["conv1"] = new[] { 0.9f, 0.75f, 0.2f, 0.5f, 1f, 0f }, ["conv2"] = Enumerable.Repeat(0.5f, 16).ToArray() };
        var scores = ChannelImportance.ScientificControl(deps, beta);
        int[] ids = deps.ChannelIdsOf("conv1")!;
        double[] expected = { 0.5 * 0.8, 2 * 0.5, 1 * -0.6, 0, 1, -1 };
        for (int c = 0; c < 6; c++) Assert.AreEqual(expected[c], scores[ids[c]], 1e-6, $"channel {c}");
        var removed = ChannelSelection.PerGroup(deps, scores, 0.5);
        CollectionAssert.AreEquivalent(new[] { ids[5], ids[2], ids[3] }, removed.Where(ids.Contains).ToArray(), "the three lowest scores of conv1");
    }

    [TestMethod]
    public void ScopEstimatorPrunesAndStaysAccurate()
    {
        using var model = TestModels.Compression.Scop(TestModels.LeNetWithBatchNorm,
            new ScopPruner.Options { PruneRate = 0.5, Epochs = 2, KnockoffRows = 2000 }).Fit(TestModels.Train);
        double accuracy = TestModels.Accuracy(model), start = TestModels.Accuracy(TestModels.LeNetWithBatchNorm);
        Assert.IsTrue(accuracy >= start - 0.02, $"accuracy {accuracy} after pruning half the channels of a start at {start}");
        Assert.AreEqual("scop50", model.Report.Method);
        // SCOP's widths are rounded too: conv1 keeps 3 -> 4 (a multiple of 2, as 6 channels are narrow), conv2 8.
        Assert.AreEqual(4, model.Pruning!.Layers.Single(l => l.Name == "conv1").After);
        Assert.AreEqual(8, model.Pruning.Layers.Single(l => l.Name == "conv2").After);
        Assert.IsTrue(model.Pruning.Notes.Any(n => n.Contains("scores:", StringComparison.Ordinal)), "score distribution per layer");
        Assert.AreEqual(3, model.Report.History.Count, "1 control epoch + 2 fine-tuning epochs");

        float[] images = TestData.MnistFeatures(MnistSplit.Test, 128);
        using var module = new GraphModule(model.Network);
        float[] torchLogits = TorchLogits.Of(module, images, 128);
        Assert.IsTrue(TorchLogits.MaxAbsDifference(torchLogits, OrtRunner.Run(model.OnnxModel, images, 128).Logits) <= 1e-4);
    }

    [TestMethod]
    public void BadOptionsFailWithClearErrors()
    {
        var c = new MLContext().Transforms.Compression;
        NetworkGraph start = TestModels.LeNetWithBatchNorm;
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => c.Scop(start, pruneRate: 1)).Message, "PruneRate");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            c.Scop(start, new ScopPruner.Options { PruneRate = 0.95, ExactRate = true })).Message, "'conv1'");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            c.Scop(start, new ScopPruner.Options { KnockoffShrinkage = 0 })).Message, "KnockoffShrinkage");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            c.Scop(start, new ScopPruner.Options { ControlEpochs = 0 })).Message, "ControlEpochs");
    }

    private static void SetBeta(ScopControl control, float value)
    {
        using var noGrad = torch.no_grad();
        foreach (var p in control.Parameters) p.fill_(value);
    }

    private static float[] Flip(float[] inputs, int size)
    {
        int rows = inputs.Length / size;
        var result = new float[inputs.Length];
        for (int r = 0; r < rows; r++) Array.Copy(inputs, r * size, result, (rows - 1 - r) * size, size);
        return result;
    }
}
