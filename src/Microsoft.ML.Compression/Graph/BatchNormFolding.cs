using System;
using System.Collections.Generic;
using System.Linq;

namespace Microsoft.ML.Compression.Graph;

/// <summary>
/// Folds each BatchNorm that directly follows a convolution into that convolution (inference form):
/// w' = w * gamma / sqrt(var + eps) per output channel, b' = (b - mean) * gamma / sqrt(var + eps) + beta.
/// Integer kernels have no BatchNorm, so every quantized export starts here.
/// </summary>
public static class BatchNormFolding
{
    /// <summary>
    /// True when <paramref name="bn"/> can be folded into its producer: a convolution whose only consumer is the BatchNorm.
    /// </summary>
    public static bool CanFold(NetworkGraph graph, BatchNorm2dLayer bn, out Conv2dLayer conv)
    {
        conv = null!;
        if (bn.Inputs[0] == NetworkGraph.InputName || graph[bn.Inputs[0]] is not Conv2dLayer producer) return false;
        if (graph.ConsumersOf(producer.Name).Count() != 1) return false;
        conv = producer;
        return true;
    }

    /// <summary>
    /// A copy of <paramref name="graph"/> with every foldable BatchNorm folded (the convolution keeps its name and gains
    /// a bias; readers of the BatchNorm read the convolution). <paramref name="foldedInto"/> maps each removed
    /// BatchNorm to its convolution.
    /// </summary>
    public static NetworkGraph Fold(NetworkGraph graph, out IReadOnlyDictionary<string, string> foldedInto)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var folded = new Dictionary<string, string>(StringComparer.Ordinal);
        var foldedBy = new Dictionary<string, BatchNorm2dLayer>(StringComparer.Ordinal); // conv -> its BN
        foreach (BatchNorm2dLayer bn in graph.Layers.OfType<BatchNorm2dLayer>())
            if (CanFold(graph, bn, out Conv2dLayer conv))
            {
                folded[bn.Name] = conv.Name;
                foldedBy[conv.Name] = bn;
            }
        foldedInto = folded;

        string Rename(string input) => folded.TryGetValue(input, out string? conv) ? conv : input;
        var layers = new List<Layer>();
        foreach (Layer layer in graph.Layers)
        {
            if (folded.ContainsKey(layer.Name)) continue;
            if (layer is Conv2dLayer c && foldedBy.TryGetValue(c.Name, out BatchNorm2dLayer? bn))
            {
                layers.Add(FoldPair(c, bn));
                continue;
            }
            Layer copy = layer.WithInputs(layer.Inputs.Select(Rename).ToArray());
            foreach (var (name, value) in layer.Parameters) copy.SetParameter(name, value.Clone());
            layers.Add(copy);
        }
        return new NetworkGraph(graph.Name, graph.InputShape, layers);
    }

    private static Conv2dLayer FoldPair(Conv2dLayer conv, BatchNorm2dLayer bn)
    {
        var result = new Conv2dLayer(conv.Name, conv.Inputs[0], conv.InChannels, conv.OutChannels, conv.KernelSize,
            conv.Stride, conv.Padding, conv.Groups, bias: true);
        string[] needed = { "weight", "bias", "running_mean", "running_var" };
        if (!conv.Parameters.ContainsKey("weight") || needed.Any(p => !bn.Parameters.ContainsKey(p)))
            throw new ArgumentException($"Cannot fold BatchNorm '{bn.Name}' into '{conv.Name}': the layers have no trained weights.");

        float[] w = conv.Parameters["weight"].Data;
        float[]? b = conv.HasBias ? conv.Parameters["bias"].Data : null;
        float[] gamma = bn.Parameters["weight"].Data, beta = bn.Parameters["bias"].Data;
        float[] mean = bn.Parameters["running_mean"].Data, variance = bn.Parameters["running_var"].Data;
        int channels = conv.OutChannels, perChannel = w.Length / channels;
        var weight = new float[w.Length];
        var bias = new float[channels];
        for (int c = 0; c < channels; c++)
        {
            float factor = gamma[c] / MathF.Sqrt(variance[c] + (float)bn.Epsilon);
            for (int i = 0; i < perChannel; i++)
                weight[c * perChannel + i] = w[c * perChannel + i] * factor;
            bias[c] = ((b?[c] ?? 0f) - mean[c]) * factor + beta[c];
        }
        result.SetParameter("weight", new ParameterTensor(result.ParameterShape("weight"), weight));
        result.SetParameter("bias", new ParameterTensor(result.ParameterShape("bias"), bias));
        return result;
    }
}
