using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.Compression.Graph;

namespace Microsoft.ML.Compression.Quantization.LowBit;

/// <summary>
/// A network whose Conv2d/Linear weights are stored at 1, 2 or 4 bits (<see cref="LowBitWeights"/>), BatchNorm kept
/// as its own layer (it absorbs the weight scale, as in SLB), with optional uint8 activations. The sub-byte ONNX
/// export and the TorchSharp reference (<see cref="ToModule"/>) are both built from it.
/// </summary>
public sealed class LowBitNetwork
{
    private readonly Dictionary<string, LowBitWeights> _weights;
    private readonly Dictionary<string, QuantParams> _activations;

    /// <summary>Creates the description.</summary>
    /// <param name="network">The trained network (BatchNorm not folded); the weights of the low-bit layers are replaced by their decoded values.</param>
    /// <param name="weights">The low-bit layers and their codes; all must share one bit width.</param>
    /// <param name="activations">uint8 parameters of the activations with their own quantizer (layer names of <paramref name="network"/>, or
    /// <see cref="NetworkGraph.InputName"/>); null or empty for float activations.</param>
    public LowBitNetwork(NetworkGraph network, IReadOnlyDictionary<string, LowBitWeights> weights, IReadOnlyDictionary<string, QuantParams>? activations = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(weights);
        if (!network.HasWeights)
            throw new ArgumentException($"Network '{network.Name}' has no trained weights.", nameof(network));
        if (weights.Count == 0)
            throw new ArgumentException("At least one layer must have low-bit weights.", nameof(weights));
        if (weights.Values.Select(w => w.Bits).Distinct().Count() > 1)
            throw new ArgumentException("All low-bit layers must use the same bit width.", nameof(weights));
        Graph = network.Clone();
        foreach (var (name, w) in weights)
        {
            Layer? layer = Graph.Layers.FirstOrDefault(l => l.Name == name);
            if (layer is not (Conv2dLayer or LinearLayer))
                throw new ArgumentException($"Low-bit layer '{name}' is not a Conv2d or Linear layer of network '{network.Name}'.", nameof(weights));
            int[] shape = layer.ParameterShape("weight");
            if (!shape.SequenceEqual(w.Shape))
                throw new ArgumentException($"Low-bit weights of '{name}' have shape {Layer.Format(w.Shape)}, the layer {Layer.Format(shape)}.", nameof(weights));
            layer.SetParameter("weight", new ParameterTensor(shape, w.Decode()));
        }
        _weights = new Dictionary<string, LowBitWeights>(weights, StringComparer.Ordinal);
        _activations = new Dictionary<string, QuantParams>(activations ?? new Dictionary<string, QuantParams>(), StringComparer.Ordinal);
        foreach (string name in _activations.Keys)
            if (name != NetworkGraph.InputName && !Graph.Layers.Any(l => l.Name == name))
                throw new ArgumentException($"Activation '{name}' is not a layer of network '{network.Name}'.", nameof(activations));
        WeightBits = weights.Values.First().Bits;
    }

    /// <summary>The network with the low-bit layers' weights set to their decoded float values.</summary>
    public NetworkGraph Graph { get; }

    /// <summary>Bits of the low-bit weights: 1, 2 or 4.</summary>
    public int WeightBits { get; }

    /// <summary>Bits of the activations: 8 when any is quantized, 32 (float) otherwise.</summary>
    public int ActivationBits => _activations.Count > 0 ? 8 : 32;

    /// <summary>The low-bit layers and their codes.</summary>
    public IReadOnlyDictionary<string, LowBitWeights> Weights => _weights;

    /// <summary>Tensors with their own activation quantizer and their parameters (empty for float activations).</summary>
    public IReadOnlyDictionary<string, QuantParams> Activations => _activations;

    /// <summary>Bits each low-bit layer's weights are stored with.</summary>
    public IReadOnlyDictionary<string, int> WeightBitsByLayer => _weights.ToDictionary(e => e.Key, e => e.Value.Bits);

    /// <summary>
    /// The quantization of a tensor as its readers see it: its own quantizer, or for max pooling, flatten and dropout,
    /// their input's; null for a float tensor.
    /// </summary>
    public QuantParams? ActivationOf(string tensorName) => QuantizationPlan.ActivationOf(Graph, _activations, tensorName);

    /// <summary>A TorchSharp module computing what the exported model computes (eval mode).</summary>
    public GraphModule ToModule()
    {
        var module = new GraphModule(Graph);
        foreach (var (tensor, parameters) in _activations)
            module.SetOutputModule(tensor, new ActivationQuantizer($"act_{tensor}", parameters));
        module.eval();
        return module;
    }
}
