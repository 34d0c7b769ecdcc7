using Microsoft.ML.Compression.Graph;

namespace Microsoft.ML.Compression.Quantization.LowBit;

/// <summary>Which Conv2d/Linear layers get low-bit weights.</summary>
/// <param name="LinearLayers">Whether fully connected layers are quantized too (convolutions always are).</param>
/// <param name="FirstLayer">Whether the first weight layer (usually the convolution reading the image) is quantized.</param>
/// <param name="LastLayer">Whether the last weight layer (usually the classifier) is quantized.</param>
/// <param name="KeepFloat">Further layers, by name, that stay float.</param>
internal sealed record LowBitLayerSelection(bool LinearLayers, bool FirstLayer, bool LastLayer, IReadOnlyCollection<string> KeepFloat)
{
    /// <summary>
    /// The selected layers in graph order; throws naming <paramref name="keepFloatOption"/> for an unknown name, or,
    /// unless <paramref name="allowNone"/> (other layers are quantized by name), when nothing is left.
    /// </summary>
    public IReadOnlyList<string> Select(NetworkGraph graph, string keepFloatOption, bool allowNone = false)
    {
        // Validates the names the same way the int8 methods do.
        var candidates = QuantizationPlan.WeightLayers(graph, KeepFloat, keepFloatOption);
        var weightLayers = graph.Layers.Where(l => l is IWeightedLayer).ToList();
        var selected = candidates.Where(name => LinearLayers || graph[name] is not LinearLayer).ToList();
        if (!FirstLayer && weightLayers.Count > 0) selected.Remove(weightLayers[0].Name);
        if (!LastLayer && weightLayers.Count > 0) selected.Remove(weightLayers[^1].Name);
        if (selected.Count == 0 && !allowNone)
            throw new ArgumentException(
                $"No layer of network '{graph.Name}' is left to quantize: its Conv2d/Linear layers are {string.Join(", ", weightLayers.Select(l => $"{l.Name} ({l.Kind})"))}; " +
                "allow linear layers, the first or the last layer, or keep fewer layers in float.", keepFloatOption);
        return selected;
    }
}
