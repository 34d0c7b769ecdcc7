using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Compressed;
using Microsoft.ML.Compression.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Quantization;

/// <summary>How post-training quantization picks each activation's range from the calibration samples.</summary>
public enum CalibrationMethod
{
    /// <summary>The smallest and largest value seen (ONNX Runtime's and Golden Stick's default).</summary>
    MinMax,
    /// <summary>
    /// Clips the rarest values: the range runs from the (100 - p)th to the pth percentile of all values seen
    /// (p = <c>Percentile</c>), read from a 2048-bin histogram.
    /// </summary>
    Percentile,
}

/// <summary>Post-training quantization: activation ranges from the float model's values on a few samples.</summary>
internal static class Calibration
{
    private const int Bins = 2048;

    /// <summary>
    /// int8 post-training quantization: BatchNorm folded, weights rounded per channel, activation ranges from the
    /// float network's values on <paramref name="samples"/>.
    /// </summary>
    public static CompressedNetwork Quantize(NetworkGraph trained, LabeledDataset samples, CalibrationMethod method, double percentile,
        IEnumerable<string>? keepFloat, string keepFloatOption, Action checkAlive, int batchSize = 256)
    {
        NetworkGraph folded = BatchNormFolding.Fold(trained, out _);
        IReadOnlyList<string> weightLayers = QuantizationPlan.WeightLayers(folded, keepFloat, keepFloatOption);
        using var module = new GraphModule(folded);
        var points = QuantizationPlan.ActivationPoints(folded, QuantizationPlan.KeptFloat(folded, weightLayers));
        var activations = ActivationRanges(module, points, samples, method, percentile, batchSize, checkAlive);
        return new CompressedNetwork(folded, QuantizationAwareModel.Int8Encodings(folded, weightLayers), activations);
    }

    /// <summary>
    /// Round-to-nearest low-bit weights for <paramref name="layers"/> (per-channel scales fitted to the weights); with
    /// <paramref name="samples"/>, also uint8 activations calibrated on the network with the rounded weights.
    /// </summary>
    public static CompressedNetwork QuantizeLowBit(NetworkGraph trained, int bits, IReadOnlyList<string> layers, LabeledDataset? samples,
        CalibrationMethod method, double percentile, Action checkAlive, int batchSize = 256)
    {
        var weights = layers.ToDictionary(name => name, name =>
        {
            Layer layer = trained[name];
            return (WeightEncoding)LevelWeights.RoundToNearest(bits, layer.ParameterShape("weight"), layer.Parameters["weight"].Data);
        }, StringComparer.Ordinal);
        var weightOnly = new CompressedNetwork(trained, weights);
        if (samples is null) return weightOnly;
        using var module = weightOnly.ToModule();
        var points = QuantizationPlan.ActivationPointsOf(trained, layers).Select(p => p.Unfolded).ToList();
        return new CompressedNetwork(trained, weights, ActivationRanges(module, points, samples, method, percentile, batchSize, checkAlive));
    }

    /// <summary>The uint8 parameters of each of <paramref name="tensors"/> of <paramref name="module"/> on <paramref name="samples"/>.</summary>
    private static Dictionary<string, QuantParams> ActivationRanges(GraphModule module, IEnumerable<string> tensors, LabeledDataset samples,
        CalibrationMethod method, double percentile, int batchSize, Action checkAlive)
    {
        var collectors = new Dictionary<string, RangeCollector>(StringComparer.Ordinal);
        foreach (string tensor in tensors)
        {
            var collector = new RangeCollector($"calib_{tensor}");
            module.SetOutputModule(tensor, collector);
            collectors[tensor] = collector;
        }

        Run(module, samples, batchSize, checkAlive);
        if (method == CalibrationMethod.Percentile)
        {
            foreach (var c in collectors.Values) c.StartHistogram(Bins);
            Run(module, samples, batchSize, checkAlive);
        }
        return collectors.ToDictionary(c => c.Key, c =>
        {
            (float lo, float hi) = method == CalibrationMethod.Percentile ? c.Value.Percentiles(percentile) : (c.Value.Min, c.Value.Max);
            return QuantParams.FromRange(lo, hi, c.Key);
        }, StringComparer.Ordinal);
    }

    private static void Run(GraphModule module, LabeledDataset samples, int batchSize, Action checkAlive)
    {
        module.eval();
        using var noGrad = torch.no_grad();
        int[] rows = Enumerable.Range(0, samples.Count).ToArray();
        for (int start = 0; start < samples.Count; start += batchSize)
        {
            checkAlive();
            using var scope = torch.NewDisposeScope();
            (Tensor x, _) = TrainingLoop.Batch(samples, rows, start, Math.Min(batchSize, samples.Count - start));
            module.call(x);
        }
    }
}

/// <summary>Passes its input through and records its range (first pass) or histogram over that range (second pass).</summary>
internal sealed class RangeCollector : nn.Module<Tensor, Tensor>
{
    private long[]? _histogram;

    public RangeCollector(string name) : base(name) { }

    public float Min { get; private set; } = float.PositiveInfinity;
    public float Max { get; private set; } = float.NegativeInfinity;

    public void StartHistogram(int bins) => _histogram = new long[bins];

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        if (_histogram is null)
        {
            (float lo, float hi) = ActivationQuantizer.RangeOf(x);
            Min = Math.Min(Min, lo);
            Max = Math.Max(Max, hi);
        }
        else if (Max > Min)
        {
            int bins = _histogram.Length;
            Tensor index = ActivationQuantizer.Flat(x).sub(Min).mul_(bins / (Max - Min)).floor_().clamp_(0, bins - 1).to(ScalarType.Int64);
            long[] counts = torch.bincount(index, minlength: bins).data<long>().ToArray();
            for (int i = 0; i < bins; i++) _histogram[i] += counts[i];
        }
        return x;
    }

    /// <summary>The (100 - p)th and pth percentiles, at histogram bin edges.</summary>
    public (float Lo, float Hi) Percentiles(double percent)
    {
        if (_histogram is null || !(Max > Min)) return (Min, Max);
        long total = _histogram.Sum();
        double tail = total * (100 - percent) / 100;
        float width = (Max - Min) / _histogram.Length;
        int lo = 0, hi = _histogram.Length - 1;
        for (long seen = 0; lo < _histogram.Length - 1 && seen + _histogram[lo] <= tail; lo++) seen += _histogram[lo];
        for (long seen = 0; hi > lo && seen + _histogram[hi] <= tail; hi--) seen += _histogram[hi];
        return (Min + lo * width, Min + (hi + 1) * width);
    }
}
