using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.Compression.Graph;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Quantization;

/// <summary>Builds TorchSharp modules that simulate an int8 model.</summary>
internal static class QuantizationSimulator
{
    /// <summary>The exported model's computation: fixed activation grids, rounded weights and biases (eval mode).</summary>
    public static GraphModule Inference(QuantizedNetwork network)
    {
        NetworkGraph graph = network.Graph;
        var module = new GraphModule(graph);
        var quantizers = new Dictionary<string, ActivationQuantizer>(StringComparer.Ordinal);
        foreach (var (tensor, parameters) in network.Activations)
        {
            var quantizer = new ActivationQuantizer($"act_{tensor}", parameters);
            module.SetOutputModule(tensor, quantizer);
            quantizers[tensor] = quantizer;
        }
        foreach (string name in network.QuantizedLayers)
            WrapWeightLayer(module, graph[name], graph, quantizers, null, null, network.WeightBits);
        module.eval();
        return module;
    }

    /// <summary>
    /// Replaces the module of a Conv2d or Linear layer with its fake-quantized form; <paramref name="bnLayer"/> (with
    /// its module) is folded into a convolution.
    /// </summary>
    public static nn.Module<Tensor, Tensor> WrapWeightLayer(GraphModule module, Layer layer, NetworkGraph foldedGraph,
        IReadOnlyDictionary<string, ActivationQuantizer> quantizers, BatchNorm2dLayer? bnLayer, BatchNorm2d? bn, int bits)
    {
        // The quantizer of the tensor this layer reads, found in the folded graph (its bias scale depends on it).
        ActivationQuantizer? Input() => QuantizerOf(foldedGraph, foldedGraph[layer.Name].Inputs[0], quantizers);
        nn.Module<Tensor, Tensor> wrapped = layer switch
        {
            Conv2dLayer c => new FakeQuantConv(c, (Conv2d)module.ModuleOf(c.Name)!, bnLayer, bn, Input, bits),
            LinearLayer l => new FakeQuantLinear(l, (Linear)module.ModuleOf(l.Name)!, Input, bits),
            _ => throw new ArgumentException($"Layer '{layer.Name}' ({layer.Kind}) has no weights to quantize."),
        };
        module.ReplaceLayerModule(layer.Name, wrapped);
        return wrapped;
    }

    private static ActivationQuantizer? QuantizerOf(NetworkGraph graph, string tensor, IReadOnlyDictionary<string, ActivationQuantizer> quantizers)
    {
        if (quantizers.TryGetValue(tensor, out var quantizer)) return quantizer;
        if (tensor == NetworkGraph.InputName) return null;
        Layer layer = graph[tensor];
        return QuantizationPlan.KeepsInputGrid(layer) ? QuantizerOf(graph, layer.Inputs[0], quantizers) : null;
    }
}
