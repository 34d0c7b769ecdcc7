using System.IO;
using System.Threading;
using Microsoft.ML.Compression.Analysis;
using Microsoft.ML.Compression.Estimators;
using Microsoft.ML.Compression.Onnx;
using Microsoft.ML.Compression.Pruning;
using Microsoft.ML.Compression.Training;

namespace Microsoft.ML.Compression.Sweeps;

/// <summary>
/// Runs one trial of a <see cref="CompressionSweep"/>: builds the <see cref="CompressionPlan"/> its settings describe,
/// fits it, scores the exported model with ONNX Runtime on the validation rows and measures it (bytes, parameters,
/// MACs, latency against the starting model, interleaved in one process).
/// </summary>
internal sealed class CompressionTrialRunner : IDisposable
{
    private readonly CompressionCatalog _catalog;
    private readonly StartingPoint _start;
    private readonly IDataView _train, _validation;
    private readonly CompressionSweep.Options _options;
    private readonly int[] _labels;
    private readonly byte[] _fp32Onnx;
    private readonly float[] _latencyRows;
    private readonly int _latencyBatch;
    private readonly CompressedModelTransformer _startModel;
    // Trials of one method at different rates or fidelities share its rate-independent phase (SCOP's control, slimming's
    // sparsity training), and trials that differ after a plan step share the step.
    private readonly TrainedPhaseCache _phases;

    public CompressionTrialRunner(CompressionCatalog catalog, StartingPoint start, IDataView train, IDataView validation, CompressionSweep.Options options,
        TrainedPhaseCache phases)
    {
        _phases = phases;
        _catalog = catalog;
        _start = start;
        _train = train;
        _validation = validation;
        _options = options;
        using (var rows = LabeledDataset.Read(validation, options.FeatureColumnName, options.LabelColumnName, start.Network.InputSize, start.Network.ClassCount, options.ValidationRows))
            _labels = rows.Labels;
        _startModel = CompressedModelTransformer.FromNetwork(catalog, start.Network, options, "fp32");
        _fp32Onnx = _startModel.OnnxModel;
        // A model with a fixed batch (e.g. PyTorch's export at batch 1, kept by every export) runs only that many rows at a time.
        int? fixedBatch;
        using (var session = OnnxRunner.Open(_fp32Onnx, 1)) fixedBatch = OnnxRunner.FixedBatch(session);
        _latencyBatch = fixedBatch ?? options.LatencyBatchSize;
        _latencyRows = OnnxLatency.FirstRows(validation, options.FeatureColumnName, _latencyBatch);
        if (_latencyRows.Length < _latencyBatch * start.Network.InputSize)
            throw new ArgumentException($"The validation data has fewer than {_latencyBatch} rows (the latency batch) to time the models with.", nameof(validation));
    }

    /// <summary>The starting model's ONNX bytes (the fp32 reference of every ratio).</summary>
    public byte[] Fp32Onnx => _fp32Onnx;

    /// <summary>The starting model's metrics, measured as a trial's are.</summary>
    public IReadOnlyDictionary<string, double> StartMetrics() => _startMetrics ??= Measure(_startModel, startAccuracy: null);

    private IReadOnlyDictionary<string, double>? _startMetrics;

    /// <summary>Fits <paramref name="settings"/>, writes the model to <paramref name="onnxPath"/> when given, and returns its metrics.</summary>
    /// <param name="settings">What the trial runs.</param>
    /// <param name="options">Sets the <see cref="CompressionSearchSpace.OptionsPrefix"/> parameters on each step's options, or null.</param>
    /// <param name="onnxPath">Where to write the model, or null.</param>
    /// <param name="token">Cancels the trial.</param>
    public IReadOnlyDictionary<string, double> Run(CompressionTrialSettings settings, Action<CompressionOptions>? options, string? onnxPath, CancellationToken token)
    {
        CompressionPlan? plan = Plan(settings, options, token);
        if (plan is null)
        {
            // Nothing to run: the starting model itself.
            if (onnxPath is not null) File.WriteAllBytes(onnxPath, _fp32Onnx);
            return StartMetrics();
        }
        using CompressedModelTransformer model = plan.Fit(_train);
        // A step stopped by the token hands back its partial model: that is no trial result.
        token.ThrowIfCancellationRequested();
        if (onnxPath is not null) model.SaveOnnx(onnxPath);
        return Measure(model, StartMetrics()[CompressionMetrics.Accuracy]);
    }

    /// <summary>The least <see cref="CompressionMetrics.Bytes"/> and <see cref="CompressionMetrics.BytesRatio"/> the trial's model can have (see <see cref="TrialSizeBound"/>); null when unknown.</summary>
    public SweepMetrics? SizeBounds(CompressionTrialSettings settings)
    {
        if (TrialSizeBound.LeastBytes(_start.Network, settings, _options.FeatureColumnName) is not long bytes) return null;
        return new SweepMetrics { [CompressionMetrics.Bytes] = bytes, [CompressionMetrics.BytesRatio] = (double)bytes / _fp32Onnx.LongLength };
    }

    // startAccuracy: the starting model's, or null when measuring the starting model itself.
    private Dictionary<string, double> Measure(CompressedModelTransformer model, double? startAccuracy)
    {
        byte[] onnx = model.OnnxModel;
        double accuracy = OnnxAccuracy.Of(model, _validation, _labels, _options.ScoreColumnName);
        var ms = OnnxLatency.MedianMilliseconds(new[] { ("fp32", _fp32Onnx), ("trial", onnx) }, _latencyRows, _options.LatencyThreads,
            _latencyBatch, _options.LatencyRounds, runsPerRound: 5);
        ModelReport report = model.Report;
        return new Dictionary<string, double>(StringComparer.Ordinal)
        {
            [CompressionMetrics.Accuracy] = accuracy,
            [CompressionMetrics.AccuracyDrop] = ((startAccuracy ?? accuracy) - accuracy) * 100,
            [CompressionMetrics.Bytes] = onnx.LongLength,
            [CompressionMetrics.BytesRatio] = (double)onnx.LongLength / _fp32Onnx.LongLength,
            [CompressionMetrics.Parameters] = report.Parameters,
            [CompressionMetrics.Macs] = report.Macs,
            [CompressionMetrics.LatencyMs] = ms["trial"],
            [CompressionMetrics.SpeedUp] = ms["fp32"] / ms["trial"],
        };
    }

    // The plan of one trial; null when the settings compress nothing.
    private CompressionPlan? Plan(CompressionTrialSettings s, Action<CompressionOptions>? configure, CancellationToken token)
    {
        CompressionPlan plan = _catalog.Plan(_start, PlanOptions(token));
        if (s.Teacher) plan = plan.WithTeacher(_start);
        bool any = false;
        T Step<T>(T o) where T : CompressionOptions
        {
            configure?.Invoke(o);
            o.Epochs = s.Epochs;
            o.DistillationWeight = s.DistillationWeight;
            o.Seed = _options.Seed;
            o.Threads = _options.Threads;
            o.CancellationToken = token;
            o.PhaseCache = _phases;
            any = true;
            return o;
        }
        plan = s.Pruning switch
        {
            SweepPruning.L1Norm => plan.L1NormPruning(Step(new L1NormPruner.Options
            {
                PruneRate = s.PruneRate, LayerPruneRates = new Dictionary<string, double>(s.LayerRates, StringComparer.Ordinal), LearningRate = _options.FineTuneLearningRate,
            })),
            SweepPruning.NetworkSlimming => plan.NetworkSlimming(Step(new NetworkSlimming.Options { PruneRate = s.PruneRate, SparsityEpochs = 1, LearningRate = _options.FineTuneLearningRate })),
            // Coupled residual stages, as L1-norm prunes them: the per-layer rates name the same groups, and the stage widths are where the speed is.
            SweepPruning.Scop => plan.Scop(Step(new ScopPruner.Options
            {
                PruneRate = s.PruneRate, Residual = ResidualPruning.Coupled, LayerPruneRates = new Dictionary<string, double>(s.LayerRates, StringComparer.Ordinal),
                LearningRate = _options.FineTuneLearningRate,
            })),
            _ => plan,
        };
        plan = s.Quantization switch
        {
            // Check = Off: the sweep times every trial itself; a trial exported in float by the check would run
            // another configuration than the one it stands for.
            SweepQuantization.Int8 => plan.QuantizeAwareTraining(Step(new QuantizeAwareTrainer.Options { Latency = new() { Check = Quantization.Int8LatencyCheck.Off } })),
            SweepQuantization.MixedBits => plan.QuantizeAwareTraining(Step(new QuantizeAwareTrainer.Options
            {
                WeightBits = 8, ActivationBits = 32, LayerWeightBits = new Dictionary<string, int>(s.LayerBits, StringComparer.Ordinal),
            })),
            _ => plan,
        };
        return any ? plan : null;
    }

    private CompressionPlan.Options PlanOptions(CancellationToken token) => new()
    {
        FeatureColumnName = _options.FeatureColumnName, LabelColumnName = _options.LabelColumnName, ScoreColumnName = _options.ScoreColumnName,
        Seed = _options.Seed, Threads = _options.Threads, CancellationToken = token, StepCache = _phases,
    };

    public void Dispose() => _startModel.Dispose();
}
