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
internal sealed class LowBitTrainingModel : IDisposable
{
    private readonly Dictionary<string, LowBitWeightModule> _layers = new(StringComparer.Ordinal);
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
    {
        Module = new GraphModule(trained);
        _settings = FormattableString.Invariant($"{bits}|{quantizeActivations}|{tracking}|{emaDecay:R}|{string.Join(',', layers)}");
        if (quantizeActivations)
            foreach (var (point, tensor) in QuantizationPlan.ActivationPointsOf(trained, layers))
            {
                var quantizer = new ActivationQuantizer($"act_{point}", tracking, emaDecay) { Quantizing = true };
                Module.SetOutputModule(tensor, quantizer);
                _quantizers[tensor] = quantizer;
            }
        foreach (string name in layers)
        {
            Layer layer = trained[name];
            float[] weights = layer.Parameters["weight"].Data;
            float[] scales = LevelWeights.FitScales(bits, layer.ParameterShape("weight")[0], weights);
            LowBitWeightModule wrapped = wrap(layer, Module.ModuleOf(name)!, scales);
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

    /// <summary>Ends training: the network with the trained float parts and the low-bit codes of the wrapped layers.</summary>
    public CompressedNetwork Finish()
    {
        var weights = _layers.ToDictionary(e => e.Key, e => (WeightEncoding)e.Value.ToWeights(), StringComparer.Ordinal);
        NetworkGraph trained = Module.ToGraph();
        var activations = _quantizers.Where(q => q.Value.HasRange).ToDictionary(q => q.Key, q => q.Value.Parameters, StringComparer.Ordinal);
        return new CompressedNetwork(trained, weights, activations);
    }

    public void Dispose() => Module.Dispose();
}
