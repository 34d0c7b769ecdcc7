using System.Diagnostics;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Training.Augmentation;
using Microsoft.ML.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Training;

/// <summary>
/// The one training loop every method plugs into through <see cref="ITrainingHook"/>: seeded shuffled
/// mini-batches, SGD or Adam, a learning-rate schedule, validation, per-epoch logging, a metrics callback and
/// cancellation between steps.
/// </summary>
public sealed class TrainingLoop
{
    private readonly TrainingOptions _options;
    private readonly IChannel? _channel;
    private readonly Action<EpochMetrics>? _onEpoch;
    private readonly Action _checkAlive;

    /// <summary>
    /// Creates a loop; <paramref name="channel"/> receives one line per epoch (MLContext.Log). The options' seed
    /// (0 when unset), thread count and cancellation token apply.
    /// </summary>
    public TrainingLoop(TrainingOptions options, IChannel? channel = null, Action<EpochMetrics>? onEpoch = null)
        : this(options!, channel, onEpoch, () => options!.CancellationToken.ThrowIfCancellationRequested())
    {
    }

    /// <summary>A loop that calls <paramref name="checkAlive"/> before every batch (it throws to stop training).</summary>
    internal TrainingLoop(TrainingOptions options, IChannel? channel, Action<EpochMetrics>? onEpoch, Action checkAlive)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _channel = channel;
        _onEpoch = onEpoch;
        _checkAlive = checkAlive;
    }

    private int Seed => _options.Seed ?? 0;

    /// <summary>
    /// True when the last <see cref="Run"/> was cancelled and, as <see cref="TrainingOptions.ReturnPartialModelOnCancel"/>
    /// asks, returned with the module as it was after its last completed epoch (<see cref="CompletedEpochs"/>).
    /// </summary>
    public bool StoppedByCancellation { get; private set; }

    /// <summary>
    /// With <see cref="TrainingOptions.ReturnPartialModelOnCancel"/>: the module as it starts is already a model worth
    /// returning (e.g. a pruned network before fine-tuning), so a run cancelled before its first epoch completes goes
    /// back to it instead of throwing.
    /// </summary>
    internal bool SnapshotAtStart { get; init; }

    /// <summary>The epochs the module has completed (resumed ones included) when the last <see cref="Run"/> returned.</summary>
    public int CompletedEpochs { get; private set; }

    /// <summary>Trains <paramref name="module"/> in place and returns the metrics of every epoch; null entries of <paramref name="hooks"/> are skipped.</summary>
    public IReadOnlyList<EpochMetrics> Run(GraphModule module, LabeledDataset train, LabeledDataset? validation = null, IEnumerable<ITrainingHook?>? hooks = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(train);
        if (train.FeatureSize != module.Graph.InputSize)
            throw new ArgumentException($"Training rows have {train.FeatureSize} features but network '{module.Graph.Name}' expects {module.Graph.InputSize}.", nameof(train));

        BatchAugmenter? augmenter = _options.Augmentation is { } a ? BatchAugmenter.For(a, module.Graph) : null;

        using var session = TorchSession.Enter(_checkAlive, _options.Threads);
        return RunCore(module, train, validation, (hooks ?? Array.Empty<ITrainingHook>()).OfType<ITrainingHook>().ToList(), augmenter);
    }

    private IReadOnlyList<EpochMetrics> RunCore(GraphModule module, LabeledDataset train, LabeledDataset? validation, IReadOnlyList<ITrainingHook> hooks,
        BatchAugmenter? augmenter)
    {
        torch.random.manual_seed(Seed);
        var parameters = module.parameters().Where(p => p.requires_grad).ToList();
        using optim.Optimizer optimizer = _options.Optimizer switch
        {
            OptimizerKind.Adam => optim.Adam(parameters, _options.LearningRate, weight_decay: _options.WeightDecay),
            _ => optim.SGD(parameters, _options.LearningRate, _options.Momentum, weight_decay: _options.WeightDecay,
                nesterov: _options.Nesterov && _options.Momentum > 0),
        };

        int batchesPerEpoch = (train.Count + _options.BatchSize - 1) / _options.BatchSize;
        long totalSteps = (long)batchesPerEpoch * _options.Epochs;
        long step = 0;
        var history = new List<EpochMetrics>();
        foreach (var hook in hooks) hook.OnTrainingStart(module);
        ITrainingHook? lossHook = LossHook(hooks);
        using var reader = new BatchReader(train, _options.BatchSize, augmenter, Seed);

        string? checkpoints = _options.CheckpointDirectory;
        // A hook's own state (observers, temperatures, adapters) must be in the checkpoint, or resuming would differ.
        var checkpointed = hooks.OfType<ICheckpointedHook>().ToList();
        if ((checkpoints is not null || _options.ReturnPartialModelOnCancel) && checkpointed.Count != hooks.Count)
            throw new NotSupportedException(
                $"{nameof(TrainingOptions.CheckpointDirectory)} and {nameof(TrainingOptions.ReturnPartialModelOnCancel)} cannot be used with the training hooks " +
                $"{string.Join(", ", hooks.Where(h => h is not ICheckpointedHook).Select(h => h.GetType().Name))}: their state is not kept in checkpoints; unset them.");
        string? fingerprint = null;
        int firstEpoch = 1;
        StoppedByCancellation = false;
        CompletedEpochs = 0;
        if (checkpoints is not null)
        {
            fingerprint = TrainingCheckpoint.Fingerprint(module, _options, train.Count, checkpointed);
            if (TrainingCheckpoint.Read(checkpoints) is { } manifest)
            {
                TrainingCheckpoint.Load(checkpoints, manifest, module, (TorchSharp.Modules.OptimizerHelper)optimizer, fingerprint, checkpointed);
                firstEpoch = manifest.Epoch + 1;
                step = manifest.Step;
                CompletedEpochs = manifest.Epoch;
                _channel?.Info(MessageSensitivity.None, $"{module.Graph.Name}: resumed from the checkpoint of epoch {manifest.Epoch} in '{checkpoints}'.");
            }
        }
        using var snapshot = _options.ReturnPartialModelOnCancel ? new ModuleSnapshot() : null;
        if (CompletedEpochs > 0 || SnapshotAtStart) snapshot?.Take(module, checkpointed, step);

        try
        {
            for (int epoch = firstEpoch; epoch <= _options.Epochs; epoch++)
            {
                _checkAlive();
                module.train();
                foreach (var hook in hooks) hook.OnEpochStart(module, epoch);
                var watch = Stopwatch.StartNew();
                int[] order = Shuffle(train.Count, Seed, epoch);
                reader.StartEpoch(epoch, order);
                double lossSum = 0;
                long correct = 0, seen = 0;
                double lr = _options.LearningRate;
                for (int b = 0; b < batchesPerEpoch; b++)
                {
                    _checkAlive();
                    int start = b * _options.BatchSize;
                    int size = Math.Min(_options.BatchSize, train.Count - start);
                    if (size < 2 && seen > 0) break; // a single-row batch breaks BatchNorm statistics
                    lr = LearningRateAt(step, epoch, totalSteps);
                    foreach (var group in optimizer.ParamGroups) group.LearningRate = lr;

                    using var scope = torch.NewDisposeScope();
                    (Tensor x, Tensor y) = reader.Take(b);
                    var batch = new TrainingBatch(x, y, order.AsMemory(start, size), train, augmenter is not null);
                    optimizer.zero_grad();
                    Tensor logits = module.call(x);
                    Tensor loss = lossHook?.Loss(module, batch, logits) ?? nn.functional.cross_entropy(logits, y);
                    foreach (var hook in hooks)
                        if (hook.ExtraLoss(module, batch, logits) is Tensor extra) loss = loss + extra;
                    loss.backward();
                    foreach (var hook in hooks) hook.AfterBackward(module, step);
                    NoCollection.Run(() => optimizer.step());
                    foreach (var hook in hooks) hook.AfterStep(module, step);

                    float lossValue = loss.item<float>();
                    if (float.IsNaN(lossValue) || float.IsInfinity(lossValue))
                        throw new InvalidOperationException(
                            $"Training diverged at epoch {epoch}, step {step} (loss {lossValue}); lower {nameof(TrainingOptions.LearningRate)} (now {_options.LearningRate}).{train.UnscaledHint()}");
                    lossSum += lossValue * size;
                    correct += logits.argmax(1).eq(y).sum().item<long>();
                    seen += size;
                    step++;
                }
                watch.Stop();
                foreach (var hook in hooks) hook.OnEpochEnd(module, epoch);

                (double Loss, double Accuracy)? val = validation is null ? null : Evaluate(module, validation);
                var metrics = new EpochMetrics(epoch, _options.Epochs, lossSum / Math.Max(1, seen), (double)correct / Math.Max(1, seen),
                    val?.Loss, val?.Accuracy, lr, watch.Elapsed.TotalSeconds);
                history.Add(metrics);
                _channel?.Info(MessageSensitivity.None, $"{module.Graph.Name}: {metrics}");
                if (checkpoints is not null)
                    TrainingCheckpoint.Save(checkpoints, module, (TorchSharp.Modules.OptimizerHelper)optimizer, epoch, step, Seed, fingerprint!, checkpointed);
                CompletedEpochs = epoch;
                snapshot?.Take(module, checkpointed, step);
                _onEpoch?.Invoke(metrics);
            }
        }
        catch (OperationCanceledException) when (snapshot is not null && snapshot.Taken)
        {
            snapshot.Restore(module, checkpointed);
            StoppedByCancellation = true;
            _channel?.Info(MessageSensitivity.None,
                $"{module.Graph.Name}: cancelled; returning the model of epoch {CompletedEpochs} of {_options.Epochs} ({nameof(TrainingOptions.ReturnPartialModelOnCancel)}).");
        }
        module.eval();
        return history;
    }

    /// <summary>A copy of a module's parameters and buffers, to go back to after a cancelled epoch.</summary>
    private sealed class ModuleSnapshot : IDisposable
    {
        private readonly Dictionary<string, Tensor> _values = new();
        private List<IReadOnlyDictionary<string, float[]>> _hooks = new();
        private long _step;

        public bool Taken => _values.Count > 0;

        public void Take(GraphModule module, IReadOnlyList<ICheckpointedHook> hooks, long step)
        {
            using var noGrad = torch.no_grad();
            Dispose();
            foreach (var (name, value) in module.state_dict())
                _values[name] = value.detach().clone().DetachFromDisposeScope();
            _hooks = hooks.Select(h => h.SaveState()).ToList();
            _step = step;
        }

        public void Restore(GraphModule module, IReadOnlyList<ICheckpointedHook> hooks)
        {
            using var noGrad = torch.no_grad();
            foreach (var (name, value) in module.state_dict()) value.copy_(_values[name]);
            for (int i = 0; i < hooks.Count; i++) hooks[i].LoadState(module, _hooks[i], _step);
        }

        public void Dispose()
        {
            foreach (Tensor t in _values.Values) t.Dispose();
            _values.Clear();
        }
    }

    // At most one hook may replace the cross-entropy: two objectives replacing each other would silently drop one.
    private static ITrainingHook? LossHook(IReadOnlyList<ITrainingHook> hooks)
    {
        var replacing = hooks.Where(h => h.ReplacesLoss).ToList();
        if (replacing.Count > 1)
            throw new InvalidOperationException($"Only one training hook may replace the loss, but {string.Join(" and ", replacing.Select(h => h.GetType().Name))} both do.");
        return replacing.FirstOrDefault();
    }

    /// <summary>Mean cross-entropy and top-1 accuracy of <paramref name="module"/> on <paramref name="data"/> (eval mode).</summary>
    public static (double Loss, double Accuracy) Evaluate(GraphModule module, LabeledDataset data, int batchSize = 500)
    {
        module.eval();
        using var noGrad = torch.no_grad();
        double lossSum = 0;
        long correct = 0;
        int[] identity = Enumerable.Range(0, data.Count).ToArray();
        for (int start = 0; start < data.Count; start += batchSize)
        {
            using var scope = torch.NewDisposeScope();
            int size = Math.Min(batchSize, data.Count - start);
            (Tensor x, Tensor y) = Batch(data, identity, start, size);
            Tensor logits = module.call(x);
            lossSum += nn.functional.cross_entropy(logits, y).item<float>() * size;
            correct += logits.argmax(1).eq(y).sum().item<long>();
        }
        return (lossSum / data.Count, (double)correct / data.Count);
    }

    /// <summary>The rows order[start..start+size) as a [size, features] tensor and their labels.</summary>
    internal static (Tensor X, Tensor Y) Batch(LabeledDataset data, int[] order, int start, int size)
    {
        var x = new float[checked(size * data.FeatureSize)];
        long[] y = ReadBatch(data, order, start, size, x);
        return (torch.tensor(x, new long[] { size, data.FeatureSize }), torch.tensor(y));
    }

    /// <summary>Reads the features of rows order[start..start+size) into <paramref name="features"/> (row-major) and returns their labels.</summary>
    internal static long[] ReadBatch(LabeledDataset data, int[] order, int start, int size, float[] features)
    {
        ReadOnlySpan<int> rows = order.AsSpan(start, size);
        data.ReadRows(rows, features);
        var y = new long[size];
        for (int i = 0; i < size; i++) y[i] = data.Labels[rows[i]];
        return y;
    }

    private static int[] Shuffle(int count, int seed, int epoch)
    {
        var order = Enumerable.Range(0, count).ToArray();
        // System.HashCode is randomised per process, so derive the epoch seed arithmetically.
        new Random(unchecked(seed * 1_000_003 + epoch)).Shuffle(order);
        return order;
    }

    private double LearningRateAt(long step, int epoch, long totalSteps) => _options.Schedule switch
    {
        LearningRateSchedule.Cosine => _options.LearningRate * 0.5 * (1 + Math.Cos(Math.PI * step / totalSteps)),
        LearningRateSchedule.Step => _options.LearningRate * Math.Pow(_options.StepGamma, (epoch - 1) / _options.StepEpochs),
        _ => _options.LearningRate,
    };
}
