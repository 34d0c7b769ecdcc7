using Microsoft.ML.Compression.Compressed;
using Microsoft.ML.Compression.Estimators;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Onnx;
using Microsoft.ML.Compression.Pruning;
using Microsoft.ML.Compression.Quantization;

namespace Microsoft.ML.Compression.Sweeps;

/// <summary>
/// The fewest ONNX bytes a trial's model can have, known from its structure before it trains, so that a sweep with a
/// size constraint does not train configurations that cannot meet it. L1-norm and SCOP widths follow from the rates
/// alone (which channels go depends on training, how many does not); the bound exports the starting network pruned to
/// those widths, BatchNorm folded and every weighted layer encoded at the fewest bits the trial could give it, without
/// activation quantizers, so every byte it counts is one the real model also has.
/// </summary>
internal static class TrialSizeBound
{
    /// <summary>The bound in bytes, or null where the structure depends on training (Network Slimming's global threshold).</summary>
    public static long? LeastBytes(NetworkGraph start, CompressionTrialSettings settings, string inputName)
    {
        ArgumentNullException.ThrowIfNull(start);
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.Pruning == SweepPruning.NetworkSlimming) return null;
        NetworkGraph graph = settings.Pruning == SweepPruning.None ? start : Pruned(start, settings);
        NetworkGraph folded = BatchNormFolding.Fold(graph, out _);
        var weights = new Dictionary<string, WeightEncoding>(StringComparer.Ordinal);
        if (settings.Quantization != SweepQuantization.None)
        {
            foreach (var (name, encoding) in QuantizationAwareModel.Int8Encodings(folded, folded.Layers.OfType<IWeightedLayer>().Select(l => ((Layer)l).Name)))
                weights[name] = encoding;
            foreach (var (name, bits) in settings.LayerBits.Where(e => e.Value < 8 && weights.ContainsKey(e.Key)))
            {
                Layer layer = folded[name];
                weights[name] = LevelWeights.RoundToNearest(bits, layer.ParameterShape("weight"), layer.Parameters["weight"].Data);
            }
        }
        var compressed = new CompressedNetwork(folded, weights);
        return OnnxExporter.Export(compressed, new OnnxExportOptions { InputName = inputName, Method = "", Opset = compressed.MinimumOpset }).LongLength;
    }

    // The starting network with the widths the trial's per-layer rates keep (the channels dropped are arbitrary: only the count matters here).
    private static NetworkGraph Pruned(NetworkGraph start, CompressionTrialSettings settings)
    {
        var options = new L1NormPruner.Options { PruneRate = settings.PruneRate, LayerPruneRates = new Dictionary<string, double>(settings.LayerRates, StringComparer.Ordinal) };
        ChannelDependencies deps = options.PerLayerDependencies(start);
        HashSet<int> removed = options.SelectPerGroup(deps, deps.Channels.ToDictionary(c => c.Id, _ => 0.0));
        return ChannelPruner.Prune(deps, removed);
    }
}
