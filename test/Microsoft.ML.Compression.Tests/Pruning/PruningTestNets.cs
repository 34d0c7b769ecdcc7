using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Zoo;
using TorchSharp;

namespace Microsoft.ML.Compression.Tests.Pruning;

/// <summary>Networks and helpers the pruning tests share.</summary>
internal static class PruningTestNets
{
    /// <summary>Every zoo network plus a concat (inception-style) network, without weights.</summary>
    public static IEnumerable<NetworkGraph> All() => new[]
    {
        NetworkZoo.LeNet5(), NetworkZoo.LeNet5(batchNorm: true), NetworkZoo.Vgg(), NetworkZoo.ResNet20(), NetworkZoo.MobileNetV2(), Inception(),
    };

    /// <summary>Two branches (a 1x1 and a 3x3 convolution) concatenated, then a convolution reading both, pooling and a classifier.</summary>
    public static NetworkGraph Inception()
    {
        var b = new NetworkBuilder("inception", 1, 28, 28);
        string stem = b.ReLU(b.BatchNorm2d(b.Conv2d(b.Input, 8, 3, padding: 1, bias: false, name: "stem"), "stem_bn"), "stem_relu");
        string left = b.ReLU(b.Conv2d(stem, 4, 1, name: "left"), "left_relu");
        string right = b.ReLU(b.BatchNorm2d(b.Conv2d(stem, 6, 3, padding: 1, bias: false, name: "right"), "right_bn"), "right_relu");
        string x = b.Concat(new[] { left, right }, "concat");
        x = b.MaxPool2d(b.ReLU(b.Conv2d(x, 12, 3, padding: 1, name: "mix"), "mix_relu"), 2, name: "pool");
        x = b.Flatten(x, "flatten");
        return b.Build(b.Linear(x, 10, name: "fc"));
    }

    /// <summary>A random removal that leaves every group at least one channel: each coupled channel goes with probability <paramref name="p"/>.</summary>
    public static HashSet<int> RandomRemoval(Compression.Pruning.ChannelDependencies deps, double p, int seed)
    {
        var random = new Random(seed);
        var removed = new HashSet<int>();
        foreach (var group in deps.Groups)
        {
            var chosen = group.Channels.Where(_ => random.NextDouble() < p).Select(c => c.Id).ToList();
            if (chosen.Count == group.Width) chosen.RemoveAt(random.Next(chosen.Count));
            removed.UnionWith(chosen);
        }
        return removed;
    }

    /// <summary>
    /// Removes a random <paramref name="p"/> of <paramref name="deps"/>' channels and asserts that the smaller network
    /// computes what the masked one does, is smaller as predicted, and exports to ONNX Runtime with the same logits.
    /// </summary>
    public static NetworkGraph AssertPrunedEqualsMaskedAndExports(Compression.Pruning.ChannelDependencies deps, double p, int seed, float tolerance = 1e-4f)
    {
        NetworkGraph network = deps.Graph;
        var removed = RandomRemoval(deps, p, seed);
        NetworkGraph pruned = Compression.Pruning.ChannelPruner.Prune(deps, removed);
        Microsoft.VisualStudio.TestTools.UnitTesting.Assert.IsTrue(pruned.ParameterCount < network.ParameterCount);
        Microsoft.VisualStudio.TestTools.UnitTesting.Assert.AreEqual(deps.PredictedParameterCount(removed), pruned.ParameterCount, "predicted size");
        float[] inputs = Onnx.TestWeights.RandomInputs(4, network.InputSize, seed: seed + 1);
        using var masked = new GraphModule(network);
        Compression.Pruning.ChannelMasks.Apply(masked, deps, removed);
        float[] small = TorchLogits.Of(pruned, inputs, 4);
        float diff = TorchLogits.MaxAbsDifference(TorchLogits.Of(masked, inputs, 4), small);
        Microsoft.VisualStudio.TestTools.UnitTesting.Assert.IsTrue(diff <= tolerance, $"pruned vs masked {diff}");
        float[] ort = Onnx.OrtRunner.Run(Compression.Onnx.OnnxExporter.Export(pruned), inputs, 4).Logits;
        Microsoft.VisualStudio.TestTools.UnitTesting.Assert.IsTrue(TorchLogits.MaxAbsDifference(small, ort) <= tolerance, "the pruned network exports");
        return pruned;
    }
}
