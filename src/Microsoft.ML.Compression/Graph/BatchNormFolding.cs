namespace Microsoft.ML.Compression.Graph;

/// <summary>
/// Folds each BatchNorm that directly follows a layer with weights (a convolution) into that layer (inference form):
/// w' = w * gamma / sqrt(var + eps) per output channel, b' = (b - mean) * gamma / sqrt(var + eps) + beta.
/// Integer kernels have no BatchNorm, so every int8 export starts here.
/// </summary>
public static class BatchNormFolding
{
    /// <summary>
    /// True when <paramref name="bn"/> can be folded into its producer: a layer with weights whose only consumer is
    /// the BatchNorm (<paramref name="producer"/> is then that layer).
    /// </summary>
    public static bool CanFold(NetworkGraph graph, BatchNorm2dLayer bn, out Layer producer)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(bn);
        producer = null!;
        if (bn.Inputs[0] == NetworkGraph.InputName || graph[bn.Inputs[0]] is not IWeightedLayer weighted) return false;
        if (weighted.OutputChannels != bn.Channels || graph.ConsumersOf(bn.Inputs[0]).Count() != 1) return false;
        producer = graph[bn.Inputs[0]];
        return true;
    }

    /// <summary>
    /// A copy of <paramref name="graph"/> with every foldable BatchNorm folded (the producer keeps its name and gains
    /// a bias; readers of the BatchNorm read the producer). <paramref name="foldedInto"/> maps each removed
    /// BatchNorm to its producer.
    /// </summary>
    public static NetworkGraph Fold(NetworkGraph graph, out IReadOnlyDictionary<string, string> foldedInto)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var folded = new Dictionary<string, string>(StringComparer.Ordinal);
        var foldedBy = new Dictionary<string, BatchNorm2dLayer>(StringComparer.Ordinal); // producer -> its BN
        foreach (BatchNorm2dLayer bn in graph.Layers.OfType<BatchNorm2dLayer>())
            if (CanFold(graph, bn, out Layer producer))
            {
                folded[bn.Name] = producer.Name;
                foldedBy[producer.Name] = bn;
            }
        foldedInto = folded;

        string Rename(string input) => folded.TryGetValue(input, out string? producer) ? producer : input;
        var layers = new List<Layer>();
        foreach (Layer layer in graph.Layers)
        {
            if (folded.ContainsKey(layer.Name)) continue;
            // A layer may read a BatchNorm folded away earlier (a residual stage's next convolution does): rewire it first.
            Layer rewired = layer.CopyParametersTo(layer.WithInputs(layer.Inputs.Select(Rename).ToArray()));
            layers.Add(foldedBy.TryGetValue(layer.Name, out BatchNorm2dLayer? bn) ? FoldPair(rewired, bn) : rewired);
        }
        return graph.WithLayers(layers);
    }

    private static Layer FoldPair(Layer layer, BatchNorm2dLayer bn)
    {
        Layer result = ((IWeightedLayer)layer).WithBias();
        string[] needed = { "weight", "bias", "running_mean", "running_var" };
        if (!layer.Parameters.ContainsKey("weight") || needed.Any(p => !bn.Parameters.ContainsKey(p)))
            throw new ArgumentException($"Cannot fold BatchNorm '{bn.Name}' into '{layer.Name}': the layers have no trained weights.");

        float[] w = layer.Parameters["weight"].Data;
        float[]? b = layer.Parameters.TryGetValue("bias", out var existing) ? existing.Data : null;
        float[] beta = bn.Parameters["bias"].Data, mean = bn.Parameters["running_mean"].Data, factors = Factors(bn);
        int channels = bn.Channels, perChannel = w.Length / channels;
        var weight = new float[w.Length];
        var bias = new float[channels];
        for (int c = 0; c < channels; c++)
        {
            float factor = factors[c];
            for (int i = 0; i < perChannel; i++)
                weight[c * perChannel + i] = w[c * perChannel + i] * factor;
            bias[c] = ((b?[c] ?? 0f) - mean[c]) * factor + beta[c];
        }
        result.SetParameter("weight", new ParameterTensor(result.ParameterShape("weight"), weight));
        result.SetParameter("bias", new ParameterTensor(result.ParameterShape("bias"), bias));
        return result;
    }

    /// <summary>The factors gamma / sqrt(var + eps) that folding multiplies each output channel's weights by.</summary>
    public static float[] Factors(BatchNorm2dLayer bn)
    {
        ArgumentNullException.ThrowIfNull(bn);
        float[] gamma = bn.Parameters["weight"].Data, variance = bn.Parameters["running_var"].Data;
        return gamma.Select((g, c) => g / MathF.Sqrt(variance[c] + (float)bn.Epsilon)).ToArray();
    }
}
