using System;
using System.Linq;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Onnx;
using Microsoft.ML.Compression.Pruning;
using Microsoft.ML.Compression.Tests.Onnx;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Compression.Tests.Pruning;

/// <summary>The key property of the engine: the smaller network computes what the masked one computes, on every zoo net.</summary>
[TestClass]
public class PhysicalPruningTests
{
    [TestMethod]
    public void PrunedNetworkEqualsMaskedNetworkOnEveryZooNet()
    {
        foreach (ResidualPruning mode in new[] { ResidualPruning.Coupled, ResidualPruning.KeepWidth })
        foreach (NetworkGraph template in PruningTestNets.All())
        for (int seed = 0; seed < 2; seed++)
        {
            NetworkGraph net = TestWeights.FillRandom(template, 100 + seed);
            var deps = new ChannelDependencies(net, mode);
            var removed = PruningTestNets.RandomRemoval(deps, 0.4, seed);
            Assert.IsTrue(removed.Count > 0, $"{net.Name}: the random mask removes something");
            NetworkGraph pruned = ChannelPruner.Prune(deps, removed);

            float[] inputs = TestWeights.RandomInputs(8, net.InputSize, seed);
            using var masked = new GraphModule(net);
            ChannelMasks.Apply(masked, deps, removed);
            using var small = new GraphModule(pruned);
            float[] expected = TorchLogits.Of(masked, inputs, 8);
            float[] actual = TorchLogits.Of(small, inputs, 8);
            string what = $"{net.Name} ({mode}, seed {seed}, {removed.Count}/{deps.Channels.Count} removed)";
            Assert.IsTrue(TorchLogits.MaxAbsDifference(expected, actual) <= 1e-4, $"{what}: max |difference| {TorchLogits.MaxAbsDifference(expected, actual)}, max |logit| {expected.Max(Math.Abs)}");
            Assert.AreEqual(deps.PredictedParameterCount(removed), pruned.ParameterCount, what);
            Assert.IsTrue(pruned.ParameterCount < net.ParameterCount && pruned.Macs < net.Macs, what);

            // The mask really changes the output (otherwise equality would prove nothing).
            using var full = new GraphModule(net);
            Assert.IsTrue(TorchLogits.MaxAbsDifference(TorchLogits.Of(full, inputs, 8), expected) > 1e-3, $"{what}: masking changed nothing");
        }
    }

    [TestMethod]
    public void PrunedModelsExportSmallerAndMatchInOnnxRuntime()
    {
        foreach (NetworkGraph template in PruningTestNets.All())
        {
            NetworkGraph net = TestWeights.FillRandom(template, 7);
            var deps = new ChannelDependencies(net);
            NetworkGraph pruned = ChannelPruner.Prune(deps, PruningTestNets.RandomRemoval(deps, 0.5, 7));
            byte[] before = OnnxExporter.Export(net), after = OnnxExporter.Export(pruned);
            Assert.IsTrue(after.Length < before.Length, $"{net.Name}: ONNX {before.Length} -> {after.Length} bytes");

            float[] inputs = TestWeights.RandomInputs(16, net.InputSize, 8);
            using var module = new GraphModule(pruned);
            float[] torchLogits = TorchLogits.Of(module, inputs, 16);
            float[] ortLogits = OrtRunner.Run(after, inputs, 16).Logits;
            Assert.IsTrue(TorchLogits.MaxAbsDifference(torchLogits, ortLogits) <= 1e-4, $"{net.Name}: ORT vs TorchSharp {TorchLogits.MaxAbsDifference(torchLogits, ortLogits)}");
        }
    }
}
