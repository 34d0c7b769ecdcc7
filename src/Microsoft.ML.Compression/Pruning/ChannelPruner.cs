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
        // Each layer kind knows how it shrinks (Layer.Prune): filters, BatchNorm channels, input channels or features.
        var layers = graph.Layers.Select(l => l.Prune(dependencies.KeptOf(l, removed))).ToList();
        return graph.WithLayers(layers);
    }
}
