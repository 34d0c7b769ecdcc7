using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.Compression.Graph;

namespace Microsoft.ML.Compression.Pruning;

/// <summary>
/// Physically removes coupled channels: builds the smaller network (fewer filters, BatchNorm channels, input channels
/// and Linear input features) with the surviving weights, so the exported ONNX model is smaller and faster.
/// </summary>
/// <remarks>
/// The smaller network computes exactly what the original computes with the removed channels masked to zero
/// (see <see cref="ChannelMasks"/>), up to float rounding.
/// </remarks>
public static class ChannelPruner
{
    /// <summary>The network of <paramref name="dependencies"/> without the coupled channels in <paramref name="removed"/>.</summary>
    public static NetworkGraph Prune(ChannelDependencies dependencies, IReadOnlySet<int> removed)
    {
        ArgumentNullException.ThrowIfNull(dependencies);
        ArgumentNullException.ThrowIfNull(removed);
        dependencies.Validate(removed);
        NetworkGraph graph = dependencies.Graph;
        if (!graph.HasWeights)
            throw new ArgumentException($"Network '{graph.Name}' has no weights to prune; train it first.", nameof(dependencies));
        var layers = graph.Layers.Select(l => PruneLayer(dependencies, l, removed)).ToList();
        return new NetworkGraph(graph.Name, graph.InputShape, layers);
    }

    private static Layer PruneLayer(ChannelDependencies deps, Layer layer, IReadOnlySet<int> removed)
    {
        switch (layer)
        {
            case Conv2dLayer c:
            {
                int[] keptIn = deps.KeptChannels(c.Inputs[0], removed);
                int[] keptOut = deps.KeptChannels(c.Name, removed);
                bool depthwise = c.Groups > 1 && c.Groups == c.InChannels && c.OutChannels == c.InChannels;
                int groups = depthwise ? keptIn.Length : c.Groups;
                var pruned = new Conv2dLayer(c.Name, c.Inputs[0], keptIn.Length, keptOut.Length, c.KernelSize, c.Stride, c.Padding, groups, c.HasBias);
                ParameterTensor weight = c.Parameters["weight"].Select(0, keptOut);
                pruned.SetParameter("weight", c.Groups == 1 ? weight.Select(1, keptIn) : weight);
                if (c.HasBias) pruned.SetParameter("bias", c.Parameters["bias"].Select(0, keptOut));
                return pruned;
            }
            case BatchNorm2dLayer b:
            {
                int[] kept = deps.KeptChannels(b.Name, removed);
                var pruned = new BatchNorm2dLayer(b.Name, b.Inputs[0], kept.Length, b.Epsilon, b.Momentum);
                foreach (string p in b.ParameterNames) pruned.SetParameter(p, b.Parameters[p].Select(0, kept));
                return pruned;
            }
            case LinearLayer l:
            {
                int block = deps.TensorOf(l.Inputs[0])?.Block ?? 1;
                int[] features = deps.KeptChannels(l.Inputs[0], removed).SelectMany(ch => Enumerable.Range(ch * block, block)).ToArray();
                var pruned = new LinearLayer(l.Name, l.Inputs[0], features.Length, l.OutFeatures, l.HasBias);
                pruned.SetParameter("weight", l.Parameters["weight"].Select(1, features));
                if (l.HasBias) pruned.SetParameter("bias", l.Parameters["bias"].Clone());
                return pruned;
            }
            default:
                return layer.Clone();
        }
    }
}
