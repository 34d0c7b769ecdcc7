using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.Compression.Graph;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Quantization;

/// <summary>
/// Everything that defines an int8 model: the BatchNorm-folded network with its float weights, which layers store
/// int8 weights (per output channel, symmetric, scale = max |w| / 127), and the uint8 parameters of each quantized
/// activation. The QDQ ONNX export and the TorchSharp simulation (<see cref="ToModule"/>) are both built from it.
/// </summary>
public sealed class QuantizedNetwork
{
    private readonly HashSet<string> _quantizedLayers;
    private readonly Dictionary<string, QuantParams> _activations;

    /// <summary>Creates the description; <paramref name="graph"/> must have weights and no foldable BatchNorm left.</summary>
    /// <param name="graph">The folded network (see <see cref="BatchNormFolding"/>).</param>
    /// <param name="quantizedLayers">Conv2d and Linear layers with int8 weights.</param>
    /// <param name="activations">Parameters of the tensors with their own quantizer (layer names, or <see cref="NetworkGraph.InputName"/>).</param>
    /// <param name="weightBits">Bits of the quantized weights (8 for the QDQ export).</param>
    public QuantizedNetwork(NetworkGraph graph, IEnumerable<string> quantizedLayers, IReadOnlyDictionary<string, QuantParams> activations, int weightBits = 8)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(quantizedLayers);
        ArgumentNullException.ThrowIfNull(activations);
        if (!graph.HasWeights)
            throw new ArgumentException($"Network '{graph.Name}' has no trained weights to quantize.", nameof(graph));
        if (weightBits is < 2 or > 8)
            throw new ArgumentOutOfRangeException(nameof(weightBits), weightBits, "Weight bits must be between 2 and 8.");
        Graph = graph;
        WeightBits = weightBits;
        _quantizedLayers = new HashSet<string>(quantizedLayers, StringComparer.Ordinal);
        foreach (string name in _quantizedLayers)
            if (!graph.Layers.Any(l => l.Name == name && l is Conv2dLayer or LinearLayer))
                throw new ArgumentException($"Quantized layer '{name}' is not a Conv2d or Linear layer of network '{graph.Name}'.", nameof(quantizedLayers));
        _activations = new Dictionary<string, QuantParams>(activations, StringComparer.Ordinal);
        foreach (string name in _activations.Keys)
            if (name != NetworkGraph.InputName && !graph.Layers.Any(l => l.Name == name))
                throw new ArgumentException($"Activation '{name}' is not a layer of network '{graph.Name}'.", nameof(activations));
    }

    /// <summary>The folded network holding float weights (the values before rounding).</summary>
    public NetworkGraph Graph { get; }

    /// <summary>Bits of the quantized weights.</summary>
    public int WeightBits { get; }

    /// <summary>Bits of the quantized activations (uint8).</summary>
    public int ActivationBits => 8;

    /// <summary>Layers whose weights are quantized.</summary>
    public IReadOnlyCollection<string> QuantizedLayers => _quantizedLayers;

    /// <summary>Tensors with their own quantizer and their parameters.</summary>
    public IReadOnlyDictionary<string, QuantParams> Activations => _activations;

    /// <summary>True when <paramref name="layerName"/> stores quantized weights.</summary>
    public bool IsQuantized(string layerName) => _quantizedLayers.Contains(layerName);

    /// <summary>
    /// The quantization of a tensor as its readers see it: its own quantizer, or for max pooling, flatten and dropout,
    /// their input's; null for a float tensor.
    /// </summary>
    public QuantParams? ActivationOf(string tensorName) => QuantizationPlan.ActivationOf(Graph, _activations, tensorName);

    /// <summary>Per-output-channel scales of a quantized layer's weights: max |w| / (2^(bits-1) - 1), 1 for a zero channel.</summary>
    public float[] WeightScales(string layerName)
    {
        if (!IsQuantized(layerName)) throw new ArgumentException($"Layer '{layerName}' does not store quantized weights.", nameof(layerName));
        var weight = Graph[layerName].Parameters["weight"];
        int channels = weight.Shape[0], perChannel = weight.Count / channels;
        int qmax = FakeQuantize.SymmetricMax(WeightBits);
        var scales = new float[channels];
        for (int c = 0; c < channels; c++)
        {
            float maxAbs = 0;
            for (int i = 0; i < perChannel; i++) maxAbs = MathF.Max(maxAbs, MathF.Abs(weight.Data[c * perChannel + i]));
            scales[c] = maxAbs > 0 ? maxAbs / qmax : 1f;
        }
        return scales;
    }

    /// <summary>The integer weights of a quantized layer, in the layer's weight layout.</summary>
    public sbyte[] QuantizedWeights(string layerName)
    {
        float[] scales = WeightScales(layerName);
        float[] w = Graph[layerName].Parameters["weight"].Data;
        int perChannel = w.Length / scales.Length, qmax = FakeQuantize.SymmetricMax(WeightBits);
        var q = new sbyte[w.Length];
        for (int i = 0; i < w.Length; i++)
            q[i] = (sbyte)Math.Clamp(Math.Round(w[i] / scales[i / perChannel], MidpointRounding.ToEven), -qmax, qmax);
        return q;
    }

    /// <summary>Bits each layer's weights are stored with (quantized layers only; others are 32-bit floats).</summary>
    public IReadOnlyDictionary<string, int> WeightBitsByLayer => _quantizedLayers.ToDictionary(n => n, _ => WeightBits);

    /// <summary>
    /// A TorchSharp module computing exactly what the integer model computes (weights, biases and activations rounded
    /// onto their grids), for checking the exported model and measuring accuracy without ONNX Runtime.
    /// </summary>
    public GraphModule ToModule() => QuantizationSimulator.Inference(this);
}
