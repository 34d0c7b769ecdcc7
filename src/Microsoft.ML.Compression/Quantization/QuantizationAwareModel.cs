using System.IO;
using Microsoft.ML.Compression.Compressed;
using Microsoft.ML.Compression.Graph;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Quantization;

/// <summary>
/// A trained network prepared for quantization-aware training: activation quantizers at the points
/// <see cref="QuantizationPlan"/> chooses, fake-quantized layers with weights (each convolution trains folded with
/// the BatchNorm that follows it, if asked). <see cref="Finish"/> turns the result into the int8 model.
/// </summary>
internal sealed class QuantizationAwareModel : IDisposable
{
    private readonly IReadOnlyList<string> _weightLayers;
    private readonly Dictionary<string, ActivationQuantizer> _quantizers = new(StringComparer.Ordinal); // by folded-graph tensor
    private readonly List<FakeQuantWeightLayer> _layers = new();

    public QuantizationAwareModel(NetworkGraph trained, IEnumerable<string>? keepFloat, string keepFloatOption,
        RangeTracking tracking, double emaDecay, bool foldBatchNorm)
    {
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
            BatchNorm2dLayer? bnLayer = null;
            BatchNorm2d? bn = null;
            if (foldBatchNorm && bnOf.TryGetValue(name, out string? bnName))
            {
                bnLayer = (BatchNorm2dLayer)trained[bnName];
                bn = (BatchNorm2d)Module.ModuleOf(bnName)!;
                Module.ReplaceLayerModule(bnName, nn.Identity());
            }
            // The bias grid depends on the quantizer of the tensor the layer reads in the folded graph.
            string input = folded[name].Inputs[0];
            var wrapped = new FakeQuantWeightLayer(layer, Module.ModuleOf(name)!, bnLayer, bn, () => QuantizerOf(folded, input), Int8Weights.Bits8);
            Module.ReplaceLayerModule(name, wrapped);
            _layers.Add(wrapped);
        }
    }

    private ActivationQuantizer? QuantizerOf(NetworkGraph folded, string tensor) =>
        QuantizationPlan.GridSource(folded, tensor, _quantizers.ContainsKey) is string source ? _quantizers[source] : null;

    /// <summary>The fake-quantized module of a layer whose weights are quantized.</summary>
    public FakeQuantWeightLayer LayerModule(string name) => (FakeQuantWeightLayer)Module.ModuleOf(name)!;

    /// <summary>The module to train.</summary>
    public GraphModule Module { get; }

    /// <summary>Turns rounding of weights and activations on or off (ranges are tracked either way).</summary>
    public void SetQuantizing(bool on)
    {
        foreach (var q in _quantizers.Values) q.Quantizing = on;
        foreach (var l in _layers) l.Quantizing = on;
    }

    /// <summary>The activation quantizers' tracked ranges by point (for checkpoints).</summary>
    public IReadOnlyDictionary<string, float[]> Ranges() =>
        _quantizers.ToDictionary(e => e.Key, e => new[] { e.Value.TrackedRange.Min, e.Value.TrackedRange.Max }, StringComparer.Ordinal);

    /// <summary>Restores ranges <see cref="Ranges"/> gave.</summary>
    public void SetRanges(IReadOnlyDictionary<string, float[]> ranges)
    {
        foreach (var (point, quantizer) in _quantizers)
        {
            if (!ranges.TryGetValue(point, out float[]? range) || range.Length != 2)
                throw new InvalidDataException($"The checkpoint has no range for activation quantizer '{point}'.");
            quantizer.TrackedRange = (range[0], range[1]);
        }
    }

    /// <summary>Sets whether folded BatchNorms use their running statistics (a restored checkpoint's state).</summary>
    public void SetBatchNormFrozen(bool frozen)
    {
        foreach (var l in _layers) l.BatchNormFrozen = frozen;
    }

    /// <summary>Folded BatchNorms switch to their running statistics for good.</summary>
    public void FreezeBatchNorm()
    {
        foreach (var l in _layers) l.BatchNormFrozen = true;
    }

    /// <summary>
    /// Ends training: the trained float network (BatchNorm unfolded) and the int8 model (BatchNorm folded, weights
    /// rounded per channel, activation parameters from the tracked ranges).
    /// </summary>
    public (NetworkGraph Float, CompressedNetwork Quantized) Finish()
    {
        NetworkGraph trained = Module.ToGraph();
        NetworkGraph folded = BatchNormFolding.Fold(trained, out _);
        var activations = _quantizers.Where(q => q.Value.HasRange).ToDictionary(q => q.Key, q => q.Value.Parameters, StringComparer.Ordinal);
        return (trained, new CompressedNetwork(folded, Int8Encodings(folded, _weightLayers), activations));
    }

    /// <summary>int8 weights for each of <paramref name="layers"/> of <paramref name="graph"/>.</summary>
    internal static Dictionary<string, WeightEncoding> Int8Encodings(NetworkGraph graph, IEnumerable<string> layers) =>
        layers.ToDictionary(name => name, name =>
        {
            ParameterTensor w = graph[name].Parameters["weight"];
            return (WeightEncoding)Int8Weights.Quantize(w.Shape, w.Data);
        }, StringComparer.Ordinal);

    public void Dispose() => Module.Dispose();
}
