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
}
