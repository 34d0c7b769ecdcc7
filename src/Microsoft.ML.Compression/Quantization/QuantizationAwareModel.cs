using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.Compression.Graph;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Quantization;

/// <summary>
/// A trained network prepared for quantization-aware training: activation quantizers at the points
/// <see cref="QuantizationPlan"/> chooses, fake-quantized Conv2d/Linear layers (each convolution trains folded with
/// the BatchNorm that follows it, if asked). <see cref="Finish"/> turns the result into the int8 model.
/// </summary>
internal sealed class QuantizationAwareModel : IDisposable
{
    private readonly IReadOnlyList<string> _weightLayers;
    private readonly Dictionary<string, ActivationQuantizer> _quantizers = new(StringComparer.Ordinal); // by folded-graph tensor
    private readonly List<FakeQuantConv> _convs = new();
    private readonly List<FakeQuantLinear> _linears = new();
    private readonly Dictionary<string, nn.Module<Tensor, Tensor>> _originals = new(StringComparer.Ordinal);
    private readonly int _bits;

    public QuantizationAwareModel(NetworkGraph trained, IEnumerable<string>? keepFloat, string keepFloatOption,
        RangeTracking tracking, double emaDecay, bool foldBatchNorm, int bits)
    {
        _bits = bits;
        NetworkGraph folded = BatchNormFolding.Fold(trained, out var foldedInto);
        var bnOf = foldedInto.ToDictionary(e => e.Value, e => e.Key, StringComparer.Ordinal); // conv -> its BN
        _weightLayers = QuantizationPlan.WeightLayers(folded, keepFloat, keepFloatOption);
        Module = new GraphModule(trained);

        // A point of the folded graph sits, in the unfolded one, after the BN that was folded into the convolution.
        foreach (var (point, tensor) in QuantizationPlan.ActivationPointsOf(trained, _weightLayers))
        {
            var quantizer = new ActivationQuantizer($"act_{point}", tracking, emaDecay);
            Module.SetOutputModule(tensor, quantizer);
            _quantizers[point] = quantizer;
        }
        foreach (string name in _weightLayers)
        {
            Layer layer = trained[name];
            _originals[name] = Module.ModuleOf(name)!;
            BatchNorm2dLayer? bnLayer = null;
            BatchNorm2d? bn = null;
            if (foldBatchNorm && bnOf.TryGetValue(name, out string? bnName))
            {
                bnLayer = (BatchNorm2dLayer)trained[bnName];
                bn = (BatchNorm2d)Module.ModuleOf(bnName)!;
                _originals[bnName] = bn;
                Module.ReplaceLayerModule(bnName, nn.Identity());
            }
            var wrapped = QuantizationSimulator.WrapWeightLayer(Module, layer, folded, _quantizers, bnLayer, bn, bits);
            if (wrapped is FakeQuantConv conv) _convs.Add(conv);
            else _linears.Add((FakeQuantLinear)wrapped);
        }
    }

    /// <summary>The module to train.</summary>
    public GraphModule Module { get; }

    /// <summary>Turns rounding of weights and activations on or off (ranges are tracked either way).</summary>
    public void SetQuantizing(bool on)
    {
        foreach (var q in _quantizers.Values) q.Quantizing = on;
        foreach (var c in _convs) c.Quantizing = on;
        foreach (var l in _linears) l.Quantizing = on;
    }

    /// <summary>Folded BatchNorms switch to their running statistics for good.</summary>
    public void FreezeBatchNorm()
    {
        foreach (var c in _convs) c.BatchNormFrozen = true;
    }

    /// <summary>
    /// Ends training: the trained float network (BatchNorm unfolded) and the int8 model (weights folded, activation
    /// parameters from the tracked ranges).
    /// </summary>
    public (NetworkGraph Float, QuantizedNetwork Quantized) Finish()
    {
        foreach (var (name, original) in _originals) Module.ReplaceLayerModule(name, original);
        NetworkGraph trained = Module.ToGraph();
        NetworkGraph folded = BatchNormFolding.Fold(trained, out _);
        var activations = _quantizers.Where(q => q.Value.HasRange).ToDictionary(q => q.Key, q => q.Value.Parameters, StringComparer.Ordinal);
        return (trained, new QuantizedNetwork(folded, _weightLayers, activations, _bits));
    }

    public void Dispose() => Module.Dispose();
}
