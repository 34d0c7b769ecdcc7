using Microsoft.ML.Compression.Graph;

namespace Microsoft.ML.Compression.Quantization;

/// <summary>
/// Where an int8 model quantizes, decided from the (BatchNorm-folded) graph so that the simulation and the QDQ export
/// agree with what ONNX Runtime fuses:
/// <list type="bullet">
/// <item>weights of every Conv2d and Linear not kept in float: int8, per output channel, symmetric;</item>
/// <item>activations (uint8, per tensor) at the image and after every layer except the logits, except where all
/// readers are ReLU/ReLU6 (the ReLU's output is quantized instead, and ONNX Runtime folds the ReLU into the
/// quantized op), and except max pooling, flatten and dropout, which keep their input's grid.</item>
/// </list>
/// </summary>
internal static class QuantizationPlan
{
    /// <summary>
    /// The tensors that get their own activation quantizer, the image input first. A tensor read only by layers kept
    /// in float is not quantized: ONNX Runtime would otherwise quantize those layers' weights itself when it loads
    /// the model (it does so for a float Conv between quantized tensors).
    /// </summary>
    public static IReadOnlyList<string> ActivationPoints(NetworkGraph graph, IReadOnlyCollection<string>? keptFloat = null)
    {
        keptFloat ??= Array.Empty<string>();
        bool ReadOnlyByFloatLayers(string tensor)
        {
            var readers = ReadersOf(graph, tensor).ToList();
            return keptFloat.Count > 0 && readers.Count > 0 && readers.All(r => keptFloat.Contains(r.Name));
        }
        var points = new List<string>();
        if (!ReadOnlyByFloatLayers(NetworkGraph.InputName)) points.Add(NetworkGraph.InputName);
        foreach (Layer layer in graph.Layers)
        {
            if (ReferenceEquals(layer, graph.OutputLayer) || layer.KeepsInputGrid || ReadOnlyByFloatLayers(layer.Name)) continue;
            var readers = graph.ConsumersOf(layer.Name).ToList();
            if (readers.Count > 0 && readers.All(r => r.FoldsIntoQuantizedProducer)) continue;
            points.Add(layer.Name);
        }
        return points;
    }

    /// <summary>
    /// The layers that compute with <paramref name="tensor"/>, looking through those that only move it (max pooling,
    /// flatten): a float layer behind a max pooling still needs float input, or ONNX Runtime quantizes it itself.
    /// </summary>
    public static IEnumerable<Layer> ReadersOf(NetworkGraph graph, string tensor) =>
        graph.ConsumersOf(tensor).SelectMany(r => r.KeepsInputGrid ? ReadersOf(graph, r.Name) : new[] { r });

    /// <summary>
    /// The activation points of a network trained with BatchNorm unfolded: each point of the folded network (see
    /// <see cref="ActivationPoints"/>) with the tensor that carries it in <paramref name="unfolded"/>, which for a
    /// convolution with a BatchNorm folded into it is the BatchNorm's output.
    /// </summary>
    public static IReadOnlyList<(string Folded, string Unfolded)> ActivationPointsOf(NetworkGraph unfolded, IReadOnlyList<string> weightLayers)
    {
        NetworkGraph folded = BatchNormFolding.Fold(unfolded, out var foldedInto);
        var bnOf = foldedInto.ToDictionary(e => e.Value, e => e.Key, StringComparer.Ordinal); // conv -> its BN
        return ActivationPoints(folded, KeptFloat(folded, weightLayers)).Select(p => (p, bnOf.GetValueOrDefault(p, p))).ToArray();
    }

    /// <summary>
    /// The quantization of a tensor as its readers see it: its own entry of <paramref name="activations"/>, or for max
    /// pooling, flatten and dropout, their input's; null for a float tensor. A layer whose
    /// <see cref="Layer.IntegerKernelIsSlow"/> and whose input a float layer computed (<paramref name="runsOnIntegers"/>
    /// says which layers run on integer kernels) sees a scale one float step wider, so ONNX Runtime keeps it in float.
    /// </summary>
    public static QuantParams? ActivationOf(NetworkGraph graph, IReadOnlyDictionary<string, QuantParams> activations, string tensorName,
        Func<string, bool> runsOnIntegers)
    {
        if (activations.TryGetValue(tensorName, out QuantParams own)) return own;
        if (tensorName == NetworkGraph.InputName) return null;
        Layer layer = graph[tensorName];
        if (!layer.KeepsInputGrid || ActivationOf(graph, activations, layer.Inputs[0], runsOnIntegers) is not QuantParams input) return null;
        // Between integer layers ONNX Runtime runs the uint8 max pool in its fast NHWC form (VGG: 2.55x of fp32 against
        // 2.12x with the pool in float); after a float layer it runs the slow NCHW one. One float step up represents
        // every code of the input exactly (|q - z| <= 255 moves by far less than half a step).
        return layer.IntegerKernelIsSlow && !ComputedOnIntegers(graph, layer.Inputs[0], runsOnIntegers)
            ? input with { Scale = MathF.BitIncrement(input.Scale) } : input;
    }

    // Whether the layer that computed tensorName (looking through folded activations and grid-keeping layers) runs on
    // integer kernels; the image and float layers do not.
    private static bool ComputedOnIntegers(NetworkGraph graph, string tensorName, Func<string, bool> runsOnIntegers)
    {
        if (tensorName == NetworkGraph.InputName) return false;
        Layer layer = graph[tensorName];
        if (runsOnIntegers(layer.Name)) return true;
        return (layer.FoldsIntoQuantizedProducer || layer.KeepsInputGrid) && ComputedOnIntegers(graph, layer.Inputs[0], runsOnIntegers);
    }

    /// <summary>
    /// The tensor whose quantizer <paramref name="tensorName"/>'s readers see: the tensor itself when
    /// <paramref name="hasQuantizer"/> says it has its own, else (through max pooling, flatten and dropout, which keep
    /// their input's grid) the nearest producer that has one; null for a float tensor.
    /// </summary>
    public static string? GridSource(NetworkGraph graph, string tensorName, Func<string, bool> hasQuantizer)
    {
        if (hasQuantizer(tensorName)) return tensorName;
        if (tensorName == NetworkGraph.InputName) return null;
        Layer layer = graph[tensorName];
        return layer.KeepsInputGrid ? GridSource(graph, layer.Inputs[0], hasQuantizer) : null;
    }

    /// <summary>The Conv2d and Linear layers of <paramref name="graph"/> that <paramref name="weightLayers"/> leaves in float.</summary>
    public static IReadOnlyCollection<string> KeptFloat(NetworkGraph graph, IReadOnlyList<string> weightLayers) =>
        graph.Layers.Where(l => HasQuantizableWeights(l) && !weightLayers.Contains(l.Name)).Select(l => l.Name).ToHashSet(StringComparer.Ordinal);

    /// <summary>The Conv2d and Linear layers whose weights are quantized; throws naming a bad entry of <paramref name="keepFloat"/>.</summary>
    public static IReadOnlyList<string> WeightLayers(NetworkGraph graph, IEnumerable<string>? keepFloat, string optionName)
    {
        var keep = new HashSet<string>(StringComparer.Ordinal);
        foreach (string name in keepFloat ?? Array.Empty<string>())
        {
            Layer? layer = graph.Layers.FirstOrDefault(l => l.Name == name);
            if (layer is null)
                throw new ArgumentException(
                    $"{optionName} names layer '{name}', which network '{graph.Name}' does not have. Its Conv2d and Linear layers are: {string.Join(", ", graph.Layers.Where(HasQuantizableWeights).Select(l => l.Name))}.",
                    optionName);
            if (!HasQuantizableWeights(layer))
                throw new ArgumentException(
                    $"{optionName} names layer '{name}' ({layer.Kind}), but only Conv2d and Linear layers have weights to keep in float.", optionName);
            keep.Add(name);
        }
        return graph.Layers.Where(l => HasQuantizableWeights(l) && !keep.Contains(l.Name)).Select(l => l.Name).ToArray();
    }

    private static bool HasQuantizableWeights(Layer layer) => layer is IWeightedLayer;
}
