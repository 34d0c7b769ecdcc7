using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Quantization.LowBit;

namespace Microsoft.ML.Compression.Quantization;

/// <summary>The bit-width combinations SimQAT and post-training quantization support, and their low-bit layer choice.</summary>
internal static class QuantizationBits
{
    /// <summary>Weights 8 with activations 8 (int8), or weights 1, 2 or 4 with activations 8 or 32 (float).</summary>
    public static void Validate(int weightBits, int activationBits, string weightOption, string activationOption)
    {
        if (weightBits is not (1 or 2 or 4 or 8))
            throw new ArgumentOutOfRangeException(weightOption, weightBits, $"{weightOption} must be 8 (int8) or 1, 2 or 4 (sub-byte), but is {weightBits}.");
        if (activationBits is not (8 or 32))
            throw new ArgumentOutOfRangeException(activationOption, activationBits, $"{activationOption} must be 8 (uint8) or 32 (float), but is {activationBits}.");
        if (weightBits == 8 && activationBits != 8)
            throw new ArgumentOutOfRangeException(activationOption, activationBits, $"{activationOption} must be 8 with 8-bit weights (float activations need {weightOption} 1, 2 or 4).");
    }

    /// <summary>
    /// Checks <paramref name="keepFloat"/> against <paramref name="network"/> (so a bad name fails before Fit) and, for
    /// 1-, 2- or 4-bit weights, returns the layers a low-bit baseline quantizes (SLB's default: every convolution but a
    /// classifier one); null for int8, which quantizes every Conv2d and Linear layer not kept in float.
    /// </summary>
    public static IReadOnlyList<string>? CheckLayers(NetworkGraph network, int weightBits, IReadOnlyCollection<string> keepFloat, string keepFloatOption)
    {
        QuantizationPlan.WeightLayers(network, keepFloat, keepFloatOption);
        return weightBits < 8 ? new LowBitLayerSelection(false, true, false, keepFloat).Select(network, keepFloatOption) : null;
    }

    /// <summary>The name a low-bit method gives its model (report and ONNX metadata), e.g. "slb-w2" or "ste-w1a8".</summary>
    public static string LowBitMethod(string prefix, int weightBits, bool uint8Activations) =>
        $"{prefix}-w{weightBits}" + (uint8Activations ? "a8" : "");

    /// <summary>
    /// The name of a model whose layers may have different widths: <see cref="LowBitMethod(string, int, bool)"/> for
    /// one width, otherwise e.g. "ste-mixed-w2-4-8" (the distinct widths, ascending).
    /// </summary>
    public static string LowBitMethod(string prefix, IEnumerable<int> layerBits, bool uint8Activations)
    {
        int[] widths = layerBits.Distinct().Order().ToArray();
        return widths.Length == 1 ? LowBitMethod(prefix, widths[0], uint8Activations)
            : $"{prefix}-mixed-w{string.Join('-', widths)}" + (uint8Activations ? "a8" : "");
    }

    /// <summary>
    /// Checks per-layer widths (<paramref name="layerBits"/>, by layer name) together with the default
    /// <paramref name="weightBits"/> and <paramref name="activationBits"/>: each width is 1, 2, 4 or 8; with no width but
    /// 8 the activations are uint8 (int8 kernels); with no 8 the activations are uint8 or float; a model mixing 8-bit
    /// and lower widths is weight-only, so its activations must be float (32).
    /// </summary>
    public static void Validate(int weightBits, IReadOnlyDictionary<string, int> layerBits, int activationBits,
        string weightOption, string layerOption, string activationOption)
    {
        ArgumentNullException.ThrowIfNull(layerBits, layerOption);
        foreach (var (name, bits) in layerBits)
        {
            if (string.IsNullOrWhiteSpace(name))
                throw new ArgumentException($"{layerOption} has an empty layer name.", layerOption);
            if (bits is not (1 or 2 or 4 or 8))
                throw new ArgumentOutOfRangeException(layerOption, bits,
                    $"{layerOption} gives layer '{name}' {bits} bits; a layer's weight bits must be 8 (int8) or 1, 2 or 4 (sub-byte).");
        }
        int[] widths = layerBits.Values.Append(weightBits).Distinct().ToArray();
        if (!(widths.Contains(8) && widths.Any(b => b < 8)))
        {
            Validate(weightBits, activationBits, weightOption, activationOption);
            return;
        }
        Validate(weightBits, 8, weightOption, activationOption); // the width alone: 8 suits every width
        if (activationBits != 32)
            throw new ArgumentOutOfRangeException(activationOption, activationBits,
                $"{activationOption} must be 32 when {weightOption} and {layerOption} mix 8-bit layers with 1-, 2- or 4-bit ones " +
                $"(weight-only quantization: every layer's weights are stored at its width and ONNX Runtime runs float kernels; " +
                $"uint8 activations need every width 8, or every width below 8).");
    }

    /// <summary>
    /// Checks <paramref name="layerBits"/> against <paramref name="network"/> (every name a Conv2d or Linear layer not
    /// kept float) and returns the width of each layer to quantize, in graph order; null when every width is 8 with
    /// uint8 activations (the int8 path, which chooses its layers itself). Layers not named get
    /// <paramref name="weightBits"/> where that width alone would quantize them (8: every Conv2d and Linear layer not
    /// kept float; 1, 2 or 4: SLB's default selection, every convolution but a classifier one); the rest stay float.
    /// </summary>
    public static IReadOnlyList<(string Name, int Bits)>? LayerBits(NetworkGraph network, int weightBits, IReadOnlyDictionary<string, int> layerBits,
        IReadOnlyCollection<string> keepFloat, string layerOption, string keepFloatOption)
    {
        IReadOnlyList<string> candidates = QuantizationPlan.WeightLayers(network, keepFloat, keepFloatOption);
        string WeightLayerList() => string.Join(", ", network.Layers.Where(l => l is IWeightedLayer).Select(l => $"{l.Name} ({l.Kind})"));
        foreach (var (name, bits) in layerBits)
        {
            Layer? layer = network.Layers.FirstOrDefault(l => l.Name == name);
            if (layer is null)
                throw new ArgumentException(
                    $"{layerOption} names layer '{name}', which network '{network.Name}' does not have. Its Conv2d and Linear layers are: {WeightLayerList()}.", layerOption);
            if (layer is not IWeightedLayer)
                throw new ArgumentException(
                    $"{layerOption} names layer '{name}' ({layer.Kind}), but only Conv2d and Linear layers have weights to quantize: {WeightLayerList()}.", layerOption);
            if (!candidates.Contains(name))
                throw new ArgumentException(
                    $"{layerOption} gives layer '{name}' {bits} bits, but {keepFloatOption} keeps it float; name it in one of the two options.", layerOption);
        }
        if (weightBits == 8 && layerBits.Values.All(b => b == 8)) return null;
        IReadOnlyList<string> unnamed = weightBits == 8 ? candidates
            : new LowBitLayerSelection(false, true, false, keepFloat).Select(network, keepFloatOption, allowNone: layerBits.Count > 0);
        return network.Layers.Select(l => l.Name)
            .Where(name => layerBits.ContainsKey(name) || unnamed.Contains(name))
            .Select(name => (name, layerBits.TryGetValue(name, out int bits) ? bits : weightBits))
            .ToArray();
    }
}
