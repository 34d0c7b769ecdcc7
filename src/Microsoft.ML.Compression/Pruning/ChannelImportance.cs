using Microsoft.ML.Compression.Graph;

namespace Microsoft.ML.Compression.Pruning;

/// <summary>Importance of each prunable coupled channel (higher = keep), by the criteria the pruning methods use.</summary>
public static class ChannelImportance
{
    /// <summary>
    /// Network Slimming's criterion: |gamma| of the BatchNorm channel that scales it; for a channel coupled across a
    /// residual Add, the largest of its |gamma| (it goes only when every BatchNorm would drop it). Channels no
    /// BatchNorm normalizes get no score.
    /// </summary>
    public static IReadOnlyDictionary<int, double> BatchNormScale(ChannelDependencies dependencies)
    {
        ArgumentNullException.ThrowIfNull(dependencies);
        var scores = new Dictionary<int, double>();
        foreach (CoupledChannel channel in dependencies.Channels)
            if (channel.BatchNorms.Count > 0)
                scores[channel.Id] = channel.BatchNorms.Max(b => Math.Abs(Parameter(dependencies.Graph, b.Layer, "weight").Data[b.Channel]));
        return scores;
    }

    /// <summary>Li et al. (2017)'s criterion: the L1 norm of the filters it removes (summed over coupled convolutions).</summary>
    public static IReadOnlyDictionary<int, double> FilterL1(ChannelDependencies dependencies)
    {
        ArgumentNullException.ThrowIfNull(dependencies);
        var scores = new Dictionary<int, double>();
        foreach (CoupledChannel channel in dependencies.Channels)
        {
            double sum = 0;
            foreach (var (layer, index) in channel.Filters)
            {
                ParameterTensor w = Parameter(dependencies.Graph, layer, "weight");
                int size = w.Count / w.Shape[0];
                for (int i = index * size; i < (index + 1) * size; i++) sum += Math.Abs(w.Data[i]);
            }
            scores[channel.Id] = sum;
        }
        return scores;
    }

    /// <summary>
    /// SCOP's criterion: |gamma| x (beta - (1 - beta)) for the control coefficient beta of the filter and the gamma of the
    /// BatchNorm that reads its convolution (1 without one); for a channel coupled across convolutions, the largest.
    /// </summary>
    public static IReadOnlyDictionary<int, double> ScientificControl(ChannelDependencies dependencies, IReadOnlyDictionary<string, float[]> beta)
    {
        ArgumentNullException.ThrowIfNull(dependencies);
        ArgumentNullException.ThrowIfNull(beta);
        NetworkGraph graph = dependencies.Graph;
        var scores = new Dictionary<int, double>();
        foreach (CoupledChannel channel in dependencies.Channels)
        {
            double best = double.NegativeInfinity;
            foreach (var (layer, index) in channel.Filters)
            {
                if (!beta.TryGetValue(layer, out float[]? b)) continue;
                var bn = graph.ConsumersOf(layer).OfType<BatchNorm2dLayer>().FirstOrDefault();
                double gamma = bn is null ? 1 : Math.Abs(Parameter(graph, bn.Name, "weight").Data[index]);
                best = Math.Max(best, gamma * (2.0 * b[index] - 1));
            }
            if (!double.IsNegativeInfinity(best)) scores[channel.Id] = best;
        }
        return scores;
    }

    private static ParameterTensor Parameter(NetworkGraph graph, string layer, string name) =>
        graph[layer].Parameters.TryGetValue(name, out var p) ? p
        : throw new ArgumentException($"Layer '{layer}' of network '{graph.Name}' has no trained '{name}'; train the network first.");
}
