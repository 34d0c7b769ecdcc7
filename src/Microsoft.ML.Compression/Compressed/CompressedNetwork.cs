using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Quantization;

namespace Microsoft.ML.Compression.Compressed;

/// <summary>
/// Everything that defines an exported model: the network (<see cref="Graph"/>), how each layer's weights are stored
/// (<see cref="Weights"/>: int8 per channel, 1/2/4-bit levels, ...; layers not listed keep float weights) and which
/// activations are quantized to uint8 (<see cref="Activations"/>). The ONNX writer, the TorchSharp simulation
/// (<see cref="ToModule"/>) and the model report all read this one description, so they cannot disagree.
/// </summary>
/// <remarks>
/// <see cref="Graph"/> holds the values the exported model computes with: each encoded layer's weights are replaced
/// by their decoded values and, where the encoding feeds an integer kernel, its bias by the int32-rounded one. An fp32
/// model is a description with no encodings and no quantized activations.
/// </remarks>
public sealed class CompressedNetwork
{
    private readonly Dictionary<string, WeightEncoding> _weights;
    private readonly Dictionary<string, QuantParams> _activations;

    /// <summary>Creates the description and checks it.</summary>
    /// <param name="network">The network with every parameter set (for int8 models, BatchNorm already folded).</param>
    /// <param name="weights">The encoding of each compressed layer's weights, by layer name; null or empty for float weights.</param>
    /// <param name="activations">uint8 parameters of the tensors with their own quantizer (layer names, or
    /// <see cref="NetworkGraph.InputName"/> for the image); null or empty for float activations.</param>
    public CompressedNetwork(NetworkGraph network, IReadOnlyDictionary<string, WeightEncoding>? weights = null,
        IReadOnlyDictionary<string, QuantParams>? activations = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (network.FirstMissingParameter() is (Layer missing, string parameter))
            throw new ArgumentException(
                $"Network '{network.Name}' has no trained weights ('{missing.Name}.{parameter}' is not set); train it or set its parameters first.", nameof(network));
        _weights = new Dictionary<string, WeightEncoding>(weights ?? new Dictionary<string, WeightEncoding>(), StringComparer.Ordinal);
        _activations = new Dictionary<string, QuantParams>(activations ?? new Dictionary<string, QuantParams>(), StringComparer.Ordinal);
        foreach (string name in _activations.Keys)
            if (name != NetworkGraph.InputName && !network.Layers.Any(l => l.Name == name))
                throw new ArgumentException($"Activation '{name}' is not a layer of network '{network.Name}'.", nameof(activations));

        Graph = network.Clone();
        foreach (var (name, encoding) in _weights)
        {
            Layer? layer = Graph.Layers.FirstOrDefault(l => l.Name == name);
            if (layer is not IWeightedLayer)
                throw new ArgumentException($"Encoded layer '{name}' is not a layer with weights (Conv2d or Linear) of network '{network.Name}'.", nameof(weights));
            int[] shape = layer.ParameterShape("weight");
            if (!shape.SequenceEqual(encoding.Shape))
                throw new ArgumentException($"The {encoding.Bits}-bit weights of '{name}' have shape {Layer.Format(encoding.Shape)}, the layer {Layer.Format(shape)}.", nameof(weights));
            layer.SetParameter("weight", new ParameterTensor(shape, encoding.Decode()));
            if (layer.Parameters.TryGetValue("bias", out var bias) && ActivationOf(layer.Inputs[0]) is QuantParams input
                && encoding.RoundBias(bias.Data, input) is float[] rounded)
                layer.SetParameter("bias", new ParameterTensor(bias.Shape, rounded));
        }
    }

    /// <summary>The network with the values the exported model computes with (decoded weights, rounded biases).</summary>
    public NetworkGraph Graph { get; }

    /// <summary>The encoded layers and their stored weights; layers not listed store 32-bit floats.</summary>
    public IReadOnlyDictionary<string, WeightEncoding> Weights => _weights;

    /// <summary>Tensors with their own uint8 quantizer and their parameters (empty for float activations).</summary>
    public IReadOnlyDictionary<string, QuantParams> Activations => _activations;

    /// <summary>Bits each encoded layer's weights are stored with.</summary>
    public IReadOnlyDictionary<string, int> WeightBitsByLayer => _weights.ToDictionary(e => e.Key, e => e.Value.Bits, StringComparer.Ordinal);

    /// <summary>The distinct bit widths of the encoded layers' weights, ascending (empty for float weights).</summary>
    internal IReadOnlyList<int> WeightBitWidths => _weights.Values.Select(w => w.Bits).Distinct().Order().ToArray();

    /// <summary>Bits of the activations: 8 when any is quantized, 32 (float) otherwise.</summary>
    public int ActivationBits => _activations.Count > 0 ? 8 : 32;

    /// <summary>True when no weight is encoded and no activation quantized (an fp32 model).</summary>
    public bool IsFloat => _weights.Count == 0 && _activations.Count == 0;

    /// <summary>The lowest ai.onnx opset (13 or more) whose operators and types every encoding needs.</summary>
    public int MinimumOpset => _weights.Values.Select(w => w.MinimumOpset).Append(13).Max();

    /// <summary>The encoding of a layer's weights, or null when they are float.</summary>
    public WeightEncoding? EncodingOf(string layerName) => _weights.GetValueOrDefault(layerName);

    /// <summary>
    /// The quantization of a tensor as its readers see it: its own quantizer, or for layers that keep their input's
    /// grid (max pooling, flatten, dropout) their input's; null for a float tensor.
    /// </summary>
    public QuantParams? ActivationOf(string tensorName) =>
        QuantizationPlan.ActivationOf(Graph, _activations, tensorName, layer => _weights.TryGetValue(layer, out WeightEncoding? w) && w is Int8Weights);

    /// <summary>
    /// A TorchSharp module computing what the exported model computes (weights and biases as stored, activations
    /// rounded onto their grids; eval mode), for checking the export and measuring accuracy without ONNX Runtime.
    /// </summary>
    public GraphModule ToModule()
    {
        var module = new GraphModule(Graph);
        foreach (var (tensor, parameters) in _activations)
            module.SetOutputModule(tensor, new ActivationQuantizer($"act_{tensor}", parameters));
        module.eval();
        return module;
    }
}
