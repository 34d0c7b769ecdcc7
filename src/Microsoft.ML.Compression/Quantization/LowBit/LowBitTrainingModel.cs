using Microsoft.ML.Compression.Compressed;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Quantization.LowBit;

/// <summary>
/// A trained network prepared for low-bit training: the chosen Conv2d/Linear layers wrapped by a
/// <see cref="LowBitWeightModule"/> (SLB's logits or STE rounding) with per-channel scales fitted to the trained
/// weights, and, for A8, uint8 activation quantizers where the int8 plan puts them. <see cref="Finish"/> returns the
/// <see cref="CompressedNetwork"/> to export.
/// </summary>
/// <remarks>
/// Layers may have different widths (mixed precision). A layer at 8 bits is fake-quantized to symmetric per-channel
/// int8 by a <see cref="FakeQuantWeightLayer"/> with no BatchNorm attached (BatchNorm stays unfolded while training,
/// as for the low-bit layers, and folds at <see cref="Finish"/>) and is stored as <see cref="Int8Weights"/>; 8-bit
/// layers need float activations here (weight-only quantization: no int8 kernels).
/// </remarks>
internal sealed class LowBitTrainingModel : IDisposable
{
    private readonly Dictionary<string, LowBitWeightModule> _layers = new(StringComparer.Ordinal);
    private readonly List<string> _int8Layers = new();
    private readonly Dictionary<string, ActivationQuantizer> _quantizers = new(StringComparer.Ordinal); // by unfolded tensor
    private readonly string _settings;

    /// <param name="trained">The trained float network.</param>
    /// <param name="layers">The Conv2d/Linear layers to store at <paramref name="bits"/> bits.</param>
    /// <param name="bits">1, 2 or 4.</param>
    /// <param name="quantizeActivations">Whether activations are fake-quantized to uint8.</param>
    /// <param name="wrap">Makes the module of one layer from its IR layer, its TorchSharp module and its scales.</param>
    /// <param name="tracking">How activation ranges are tracked.</param>
    /// <param name="emaDecay">Decay for <see cref="RangeTracking.Ema"/>.</param>
    public LowBitTrainingModel(NetworkGraph trained, IReadOnlyList<string> layers, int bits, bool quantizeActivations,
        Func<Layer, nn.Module<Tensor, Tensor>, float[], LowBitWeightModule> wrap, RangeTracking tracking = RangeTracking.MinMax, double emaDecay = 0.999)
        : this(trained, layers.Select(name => (name, bits)).ToArray(), quantizeActivations, (layer, module, _, scales) => wrap(layer, module, scales), tracking, emaDecay)
    {
    }

    /// <param name="trained">The trained float network.</param>
    /// <param name="layers">The Conv2d/Linear layers to quantize, in graph order, each with its bits (1, 2, 4 or 8).</param>
    /// <param name="quantizeActivations">Whether activations are fake-quantized to uint8 (not with 8-bit layers).</param>
    /// <param name="wrap">Makes the module of one 1-, 2- or 4-bit layer from its IR layer, its TorchSharp module, its bits and its scales.</param>
    /// <param name="tracking">How activation ranges are tracked.</param>
    /// <param name="emaDecay">Decay for <see cref="RangeTracking.Ema"/>.</param>
    public LowBitTrainingModel(NetworkGraph trained, IReadOnlyList<(string Name, int Bits)> layers, bool quantizeActivations,
        Func<Layer, nn.Module<Tensor, Tensor>, int, float[], LowBitWeightModule> wrap, RangeTracking tracking = RangeTracking.MinMax, double emaDecay = 0.999)
    {
        if (layers.Count == 0) throw new ArgumentException("No layer to quantize.", nameof(layers));
        if (quantizeActivations && layers.Any(l => l.Bits == Int8Weights.Bits8))
            throw new ArgumentException("8-bit layers among low-bit ones are weight-only: their activations stay float.", nameof(quantizeActivations));
        Module = new GraphModule(trained);
        // Uniform widths keep the fingerprint checkpoints of a single width have always had.
        bool uniform = layers.Select(l => l.Bits).Distinct().Count() == 1;
        string names = string.Join(',', layers.Select(l => uniform ? l.Name : FormattableString.Invariant($"{l.Name}:{l.Bits}")));
        string width = uniform ? FormattableString.Invariant($"{layers[0].Bits}") : "mixed";
        _settings = FormattableString.Invariant($"{width}|{quantizeActivations}|{tracking}|{emaDecay:R}|{names}");
        if (quantizeActivations)
            foreach (var (point, tensor) in QuantizationPlan.ActivationPointsOf(trained, layers.Select(l => l.Name).ToArray()))
            {
                var quantizer = new ActivationQuantizer($"act_{point}", tracking, emaDecay) { Quantizing = true };
                Module.SetOutputModule(tensor, quantizer);
                _quantizers[tensor] = quantizer;
            }
        foreach (var (name, bits) in layers)
        {
            Layer layer = trained[name];
            if (bits == Int8Weights.Bits8)
            {
                Module.ReplaceLayerModule(name, new FakeQuantWeightLayer(layer, Module.ModuleOf(name)!, null, null, () => null, bits));
                _int8Layers.Add(name);
                continue;
            }
            float[] weights = layer.Parameters["weight"].Data;
            float[] scales = LevelWeights.FitScales(bits, layer.ParameterShape("weight")[0], weights);
            LowBitWeightModule wrapped = wrap(layer, Module.ModuleOf(name)!, bits, scales);
            Module.ReplaceLayerModule(name, wrapped);
            _layers[name] = wrapped;
        }
    }

    /// <summary>The module to train.</summary>
    public GraphModule Module { get; }

    /// <summary>The wrapped layers by name.</summary>
    public IReadOnlyDictionary<string, LowBitWeightModule> Layers => _layers;

    /// <summary>The hook that keeps this model's own state (activation ranges) in checkpoints; add it to the run's hooks.</summary>
    public ITrainingHook Checkpoint() => new LowBitCheckpoint(_quantizers, _settings);

    /// <summary>
    /// Ends training: the network with the trained float parts and the low-bit codes of the wrapped layers, each
    /// BatchNorm folded into the layer before it (its per-channel factor joins the channel's scale, so the codes stay
    /// and the file loses the BatchNorm's four tensors); nothing is folded if any factor is zero or not finite.
    /// </summary>
    public CompressedNetwork Finish()
    {
        NetworkGraph unfolded = Module.ToGraph();
        NetworkGraph trained = BatchNormFolding.Fold(unfolded, out var foldedInto);
        var factors = foldedInto.ToDictionary(e => e.Value, e => BatchNormFolding.Factors((BatchNorm2dLayer)unfolded[e.Key]), StringComparer.Ordinal);
        if (factors.Values.Any(f => f.Any(x => !(x != 0 && float.IsFinite(x)))))
        {
            trained = unfolded;
            factors.Clear();
            foldedInto = new Dictionary<string, string>();
        }
        var weights = _layers.ToDictionary(e => e.Key,
            e => (WeightEncoding)(factors.TryGetValue(e.Key, out float[]? f) ? e.Value.ToWeights().Scaled(f) : e.Value.ToWeights()), StringComparer.Ordinal);
        foreach (var (name, encoding) in QuantizationAwareModel.Int8Encodings(trained, _int8Layers)) weights[name] = encoding;
        // A quantizer after a folded BatchNorm now reads the layer the BatchNorm folded into: the same values.
        var activations = _quantizers.Where(q => q.Value.HasRange)
            .ToDictionary(q => foldedInto.TryGetValue(q.Key, out string? into) ? into : q.Key, q => q.Value.Parameters, StringComparer.Ordinal);
        return new CompressedNetwork(trained, weights, activations);
    }

    public void Dispose() => Module.Dispose();
}
