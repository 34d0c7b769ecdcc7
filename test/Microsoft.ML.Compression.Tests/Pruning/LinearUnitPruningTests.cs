using System.Linq;
using Microsoft.ML.Compression.Datasets;
using Microsoft.ML.Compression.Estimators;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Onnx;
using Microsoft.ML.Compression.Pruning;
using Microsoft.ML.Compression.Tests.Onnx;
using Microsoft.ML.Compression.Training;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;

namespace Microsoft.ML.Compression.Tests.Pruning;

/// <summary>
/// A network without convolutions (an MLP, as Keras exports a Dense model) has no channels to prune; L1 then removes
/// hidden units of its Linear layers, never the logits.
/// </summary>
[TestClass]
public class LinearUnitPruningTests
{
    private static NetworkGraph Mlp()
    {
        var b = new NetworkBuilder("mlp", 1, 28, 28);
        string x = b.ReLU(b.Linear(b.Flatten(b.Input, "flat"), 64, name: "fc1"), "relu1");
        x = b.ReLU(b.Linear(x, 32, name: "fc2"), "relu2");
        return b.Build(b.Linear(x, 10, name: "fc3"));
    }

    [TestMethod]
    public void HiddenUnitsPruneLikeMaskingAndTheLogitsStay()
    {
        NetworkGraph mlp = TestWeights.FillRandom(Mlp(), seed: 3);
        Assert.AreEqual(0, new ChannelDependencies(mlp).Channels.Count, "no convolution: nothing prunable by default");
        var deps = new ChannelDependencies(mlp, linearUnits: true);
        Assert.AreEqual(64 + 32, deps.Channels.Count, "fc1's and fc2's units; fc3's are the logits");
        StringAssert.Contains(deps.SkippedLayers["fc3"], "logits");
        Assert.AreEqual(10, PruningTestNets.AssertPrunedEqualsMaskedAndExports(deps, 0.4, seed: 2).ClassCount);
    }

    [TestMethod]
    public void ALinearGatedSqueezeExcitePrunesWithTheConvolutionItScales()
    {
        // ops_zoo (PyTorch): conv3 -> pool -> x * unsqueeze(relu6(gemm(mean(x)))) -> flatten -> MatMul head.
        NetworkGraph zoo = Microsoft.ML.Compression.Onnx.Import.OnnxImporter.Import(Fixtures.OnnxFixtures.Get("ops_zoo").Path);
        var deps = new ChannelDependencies(zoo, linearUnits: true);
        var gate = zoo.Layers.OfType<LinearLayer>().First();
        Assert.IsTrue(deps.Groups.Any(g => g.Layers.Contains(gate.Name) && g.Layers.Any(l => zoo[l] is Conv2dLayer)),
            "the gate's units go with the channels of the convolution they scale: " + string.Join("; ", deps.Groups.Select(g => g.Name)));
        PruningTestNets.AssertPrunedEqualsMaskedAndExports(deps, 0.3, seed: 6);
    }

    [TestMethod]
    public void ScopOnANetworkWithoutConvolutionChannelsSaysSo()
    {
        NetworkGraph mlp = TestWeights.FillRandom(Mlp(), seed: 3);
        var scop = TestModels.Compression.Scop(mlp, new ScopPruner.Options { PruneRate = 0.3, Epochs = 1, KnockoffRows = 200 });
        var e = Assert.ThrowsExactly<System.InvalidOperationException>(() => scop.Fit(TestModels.Train));
        StringAssert.Contains(e.Message, "Network 'mlp' has no prunable convolution channels");
    }

    [TestMethod]
    public void L1PrunesAnImportedMlpsHiddenUnits()
    {
        NetworkGraph mlp = Mlp();
        torch.random.manual_seed(0);
        using (var module = new GraphModule(mlp))
        {
            new TrainingLoop(new TrainingOptions { Epochs = 2, BatchSize = 64 }).Run(module, TestData.MnistArrays(MnistSplit.Train, 2000));
            mlp = module.ToGraph();
        }
        NetworkGraph imported = Microsoft.ML.Compression.Onnx.Import.OnnxImporter.Import(OnnxExporter.Export(mlp));
        double start = TestModels.Accuracy(imported);
        using var pruned = TestModels.Compression.L1NormPruning(imported, new L1NormPruner.Options { PruneRate = 0.3, Epochs = 1 }).Fit(TestModels.Train);
        var widths = pruned.Network.Layers.OfType<LinearLayer>().Select(l => l.OutFeatures).ToArray();
        // About 30% of each layer's units go: 64 would keep 45 and 32 would keep 22, rounded to the nearest multiples of
        // 8, 48 and 24; all 10 logits stay.
        CollectionAssert.AreEqual(new[] { 48, 24, 10 }, widths);
        Assert.IsTrue(TestModels.Accuracy(pruned) >= start - 0.08, $"{TestModels.Accuracy(pruned):P1} vs {start:P1}");
    }
}
