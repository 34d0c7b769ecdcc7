using System.IO;
using System.Threading;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Training;
using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Compression.Estimators;

/// <summary>
/// What a method's Fit works with (see <see cref="CompressionEstimator{TOptions}"/>): the data as tensors-ready rows
/// (read on first use), the log, the resolved seed, cancellation, and training runs that distil from the options'
/// teacher and collect the epochs' metrics. Disposing it deletes the rows it read (their cache file, on disk).
/// </summary>
internal sealed class FitContext : IDisposable
{
    private readonly IHostEnvironment _environment;
    private readonly IHost _host;
    private readonly IDataView _trainData;
    private readonly IDataView? _validationData;
    private readonly NetworkGraph _network;
    private readonly List<EpochMetrics> _history = new();
    private readonly List<string> _notes = new();
    private readonly List<LabeledDataset> _read = new();
    private LabeledDataset? _train, _validation;
    private TrainingOptions? _settings;

    public FitContext(IHostEnvironment environment, IHost host, IChannel channel, EstimatorOptions options, NetworkGraph network,
        IDataView trainData, IDataView? validationData)
    {
        _environment = environment;
        _host = host;
        Channel = channel;
        Options = options;
        _network = network;
        _trainData = trainData;
        _validationData = validationData;
        // ML.NET's trainers draw their seed from the host, so new MLContext(seed: s) makes a run reproducible.
        Seed = options.Seed ?? host.Rand.Next();
    }

    /// <summary>The Fit's log channel (it reaches MLContext.Log).</summary>
    public IChannel Channel { get; }

    /// <summary>The estimator's options.</summary>
    public EstimatorOptions Options { get; }

    /// <summary>The options' seed, or one drawn from the MLContext when it is unset.</summary>
    public int Seed { get; }

    /// <summary>The training loop's settings with the resolved seed (training methods only).</summary>
    public TrainingOptions Settings => _settings ??= (Options as TrainingOptions)?.WithSeed(Seed)
        ?? throw new InvalidOperationException($"{Options.GetType().Name} has no training settings.");

    /// <summary>The training rows with 0-based labels.</summary>
    public LabeledDataset Train => _train ??= CheckTrainingRows(Keep(LabeledDataset.Read(_trainData, Options.FeatureColumnName, Options.LabelColumnName,
        _network.InputSize, _network.ClassCount, caching: Options.DataCache)));

    /// <summary>The validation rows, or null without validation data.</summary>
    public LabeledDataset? Validation => _validationData is null ? null
        : _validation ??= Keep(LabeledDataset.ReadValidation(_validationData, Options.FeatureColumnName, Options.LabelColumnName,
            _network.InputSize, _network.ClassCount, Options.DataCache));

    /// <summary>The first <paramref name="maxRows"/> rows' features only (e.g. calibration data, which needs no labels).</summary>
    public LabeledDataset Features(int maxRows) =>
        Keep(LabeledDataset.ReadFeatures(_trainData, Options.FeatureColumnName, _network.InputSize, maxRows, Options.DataCache));

    // One class is legal (e.g. fine-tuning on a slice) but usually a mistake: say so in the log, do not fail. One row
    // for a network with BatchNorm cannot train at all: fail, naming the layers.
    private LabeledDataset CheckTrainingRows(LabeledDataset data)
    {
        // A batch of one row has no variance: BatchNorm cannot train on it (libtorch's own error does not name the data).
        string[] norms = _network.Layers.OfType<BatchNorm2dLayer>().Select(l => l.Name).ToArray();
        if (data.Count < 2 && norms.Length > 0)
            throw new ArgumentException(
                $"The training data has {data.Count} row, but {_network.Name}'s BatchNorm layers ({string.Join(", ", norms.Select(n => $"'{n}'"))}) need at least 2 rows to train.",
                "trainData");
        int first = data.Labels[0];
        if (_network.ClassCount > 1 && Array.TrueForAll(data.Labels, label => label == first))
            Channel.Warning(MessageSensitivity.None,
                $"Every one of the {data.Count:N0} training rows in '{Options.LabelColumnName}' is class {first}; the network has {_network.ClassCount} classes and will learn to predict only class {first}.");
        return data;
    }

    // Mean loss at or above ln(classes) (what uniform guessing scores) after the first epoch means nothing was
    // learned yet: often unscaled features, shuffled labels or a learning rate far off. Warned once per Fit.
    private void WarnIfChanceLevel(EpochMetrics metrics)
    {
        if (_warnedChanceLevel || metrics.Epoch != 1 || _network.ClassCount < 2) return;
        double chance = Math.Log(_network.ClassCount);
        if (!(metrics.TrainLoss >= chance * 0.98)) return;
        _warnedChanceLevel = true;
        Channel.Warning(MessageSensitivity.None,
            $"After epoch 1 the mean training loss is {metrics.TrainLoss:F4}, at chance level (ln {_network.ClassCount} = {chance:F4}): check the labels, the feature scaling and the learning rate.");
    }

    private bool _warnedChanceLevel;

    private LabeledDataset Keep(LabeledDataset data)
    {
        _read.Add(data);
        return data;
    }

    /// <summary>Disposes every data set read (deleting cache files); call at the end of Fit.</summary>
    public void Dispose()
    {
        foreach (LabeledDataset data in _read) data.Dispose();
        _read.Clear();
        _train = _validation = null;
    }

    /// <summary>Set when a training run was cancelled and kept its last completed epoch's model (the Fit then returns it instead of throwing).</summary>
    public string? PartialModel { get; private set; }

    /// <summary>Every epoch trained so far, in order.</summary>
    public IReadOnlyList<EpochMetrics> History => _history;

    /// <summary>Decisions worth a line in the report (layers skipped and why, thresholds, the teacher's fit).</summary>
    public IReadOnlyList<string> Notes => _notes;

    /// <summary>Throws <see cref="OperationCanceledException"/> once MLContext.CancelExecution() was called or the options' token is cancelled.</summary>
    public void CheckAlive() => CheckAlive(_environment, _host, Options.CancellationToken);

    /// <summary>Throws <see cref="OperationCanceledException"/> once <paramref name="environment"/> (or <paramref name="host"/>) is cancelled or <paramref name="token"/> is.</summary>
    internal static void CheckAlive(IHostEnvironment environment, IHost? host, CancellationToken token)
    {
        if (MlNetInternals.IsCanceled(environment) || (host is not null && MlNetInternals.IsCanceled(host)))
            throw new OperationCanceledException("Fit was cancelled through its MLContext.");
        token.ThrowIfCancellationRequested();
    }

    /// <summary>Logs a line.</summary>
    public void Info(string message) => Channel.Info(MessageSensitivity.None, message);

    /// <summary>The int8 model to export after <paramref name="options"/>' latency check against <paramref name="fp32"/>, timed on the first training rows.</summary>
    public Compressed.CompressedNetwork CheckInt8Latency(Compressed.CompressedNetwork int8, NetworkGraph fp32, Quantization.Int8LatencyOptions options)
    {
        if (options.Check == Quantization.Int8LatencyCheck.Off) return int8;
        LabeledDataset rows = Features(options.BatchSize);
        return Quantization.Int8LatencyGuard.Apply(int8, fp32, rows.ReadRows(0, rows.Count), options, Info,
            message => Channel.Warning(MessageSensitivity.None, message));
    }

    /// <summary>Logs a line and keeps it for the report.</summary>
    public void Note(string note)
    {
        _notes.Add(note);
        Info(note);
    }

    /// <summary>
    /// Trains <paramref name="module"/> in place with <paramref name="settings"/> (default: the options' own) and
    /// <paramref name="hooks"/>, against the options' teacher if there is one and <paramref name="distill"/> is set;
    /// the epochs join <see cref="History"/>. A method with several training phases gives each its own
    /// <paramref name="checkpointFolder"/> under <see cref="TrainingOptions.CheckpointDirectory"/> (null: the folder
    /// itself). <paramref name="startIsModel"/> says the module as it starts is already a model worth returning when
    /// the phase is cancelled before its first epoch ends (e.g. a pruned network before fine-tuning). Once an earlier
    /// phase was cancelled and kept its partial model, later phases are skipped.
    /// </summary>
    public void Run(GraphModule module, string phase, TrainingOptions? settings = null, bool distill = true, string? checkpointFolder = null,
        bool startIsModel = false, params ITrainingHook?[] hooks)
    {
        settings ??= Settings;
        if (PartialModel is not null)
        {
            Note($"{phase}: skipped, the Fit was cancelled ({nameof(TrainingOptions.ReturnPartialModelOnCancel)}).");
            return;
        }
        if (checkpointFolder is not null && settings.CheckpointDirectory is string root)
            settings = settings.WithCheckpointDirectory(Path.Combine(root, checkpointFolder));
        var options = Options as CompressionOptions;
        Info($"{phase}: {settings.Epochs} epochs of {module.Graph.Name} ({module.Graph.ParameterCount:N0} parameters) on {Train.Count:N0} rows.");
        // The distillation hook installs hint adapters, so it must exist before the loop builds its optimizer.
        using var distillation = distill ? options?.Distillation(module) : null;
        if (distillation is not null) Info($"{phase}: {options!.DistillationSummary}");
        Action<EpochMetrics>? onEpoch = options?.OnEpoch;
        var loop = new TrainingLoop(settings, Channel, metrics => { WarnIfChanceLevel(metrics); onEpoch?.Invoke(metrics); }, CheckAlive)
        {
            SnapshotAtStart = startIsModel,
        };
        try
        {
            _history.AddRange(loop.Run(module, Train, Validation, hooks.Append(distillation)));
        }
        catch (OperationCanceledException e) when (settings.ReturnPartialModelOnCancel)
        {
            throw new OperationCanceledException($"{phase} was cancelled before its first epoch completed: there is no model to return yet.", e, e.CancellationToken);
        }
        if (loop.StoppedByCancellation)
        {
            PartialModel = loop.CompletedEpochs > 0
                ? $"{phase}: cancelled after epoch {loop.CompletedEpochs} of {settings.Epochs}; the model is that epoch's ({nameof(TrainingOptions.ReturnPartialModelOnCancel)})."
                : $"{phase}: cancelled before its first epoch completed; the model is the one this phase started from ({nameof(TrainingOptions.ReturnPartialModelOnCancel)}).";
            Note(PartialModel);
        }
        if (distillation?.Outcome is string outcome) Note($"{phase}: {outcome}");
    }

    /// <summary>
    /// The result of a training phase an earlier Fit sharing the options' <see cref="CompressionOptions.PhaseCache"/>
    /// computed from the same start network, settings, hooks, teacher (when <paramref name="distill"/>) and rows, or
    /// <paramref name="compute"/>'s, kept for the next Fit unless this one was cancelled part-way.
    /// </summary>
    public T Reuse<T>(string phase, NetworkGraph start, TrainingOptions settings, bool distill, IReadOnlyList<ICheckpointedHook> hooks, Func<T> compute) where T : class
    {
        if (Options is not CompressionOptions { PhaseCache: TrainedPhaseCache cache } options) return compute();
        string key;
        using (var module = new GraphModule(start))
            key = string.Join('|', phase, TrainingCheckpoint.NetworkHash(start), TrainingCheckpoint.Fingerprint(module, settings, Train.Count, hooks),
                distill ? options.DistillationFingerprint : "-");
        if (cache.TryGet(key, out T known))
        {
            Note($"{phase}: the same phase ran in an earlier Fit (same start, settings and data); its result is reused.");
            return known;
        }
        T result = compute();
        if (PartialModel is null) cache.Add(key, result);
        return result;
    }

    /// <summary>
    /// Trains a copy of <paramref name="network"/> for <paramref name="epochs"/> epochs (default: the options') and returns it;
    /// <paramref name="checkpointFolder"/> and <paramref name="startIsModel"/> as in <see cref="Run"/>.
    /// </summary>
    public NetworkGraph TrainNetwork(NetworkGraph network, string phase, int? epochs = null, string? checkpointFolder = null, bool startIsModel = false,
        params ITrainingHook?[] hooks)
    {
        TrainingOptions settings = epochs is int e ? Settings.WithEpochs(e) : Settings;
        if (settings.Epochs == 0 || PartialModel is not null) return network;
        using var module = new GraphModule(network);
        Run(module, phase, settings, checkpointFolder: checkpointFolder, startIsModel: startIsModel, hooks: hooks);
        return module.ToGraph();
    }
}
