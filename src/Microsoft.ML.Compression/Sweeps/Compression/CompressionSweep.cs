using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.ML.Compression.Analysis.Sensitivity;
using Microsoft.ML.Compression.Estimators;
using Microsoft.ML.Compression.Training;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Compression.Sweeps;

/// <summary>
/// An AutoML-style sweep over compression settings, in the shape of ML.NET AutoML's experiment: set the data, the
/// search space (<see cref="CompressionSearchSpace"/>), objectives, constraints, a tuner, a budget and a checkpoint
/// folder, then <see cref="RunAsync"/>. Each trial fits a <see cref="CompressionPlan"/> from the starting model,
/// scores the exported ONNX model with ONNX Runtime on the validation rows and measures its bytes, parameters, MACs and
/// latency (<see cref="CompressionMetrics"/>). The result holds every trial, the Pareto front, the best feasible model
/// and, when nothing is feasible, the best effort.
/// </summary>
/// <example>
/// <code>
/// var fp32 = mlContext.Transforms.Compression.Train(NetworkZoo.ResNet20()).Fit(train);
/// var result = await mlContext.Transforms.Compression.CreateSweep(fp32)
///     .SetDataset(train, validation)
///     .AddConstraint(SweepConstraint.AtLeast(CompressionMetrics.Accuracy, 0.90))
///     .SetMaxTrials(30)
///     .SetCheckpointFolder("sweep")        // run again after a crash: finished trials are not repeated
///     .RunAsync();
/// result.SaveModels("sweep/models");       // best.onnx, pareto-1.onnx, ...
/// </code>
/// </example>
public sealed class CompressionSweep
{
    /// <summary>Options of <see cref="CompressionSweep"/>: columns, seed, threads, and how trials are measured.</summary>
    public sealed class Options : EstimatorOptions
    {
        /// <summary>Validation rows scored per trial (the first ones). Default 10,000.</summary>
        public int ValidationRows { get; set; } = 10_000;

        /// <summary>Rows per ONNX Runtime run when timing a trial's model. Default 64.</summary>
        public int LatencyBatchSize { get; set; } = 64;

        /// <summary>ONNX Runtime threads when timing. Default 1.</summary>
        public int LatencyThreads { get; set; } = 1;

        /// <summary>Interleaved timing rounds per trial (the median counts). Default 7.</summary>
        public int LatencyRounds { get; set; } = 7;

        /// <summary>Learning rate of the pruning steps' fine-tuning (unless the space sets <c>train.LearningRate</c>). Default 0.01.</summary>
        public double FineTuneLearningRate { get; set; } = 0.01;

        /// <inheritdoc />
        public override void Validate()
        {
            base.Validate();
            if (ValidationRows < 1) throw new ArgumentOutOfRangeException(nameof(ValidationRows), ValidationRows, "ValidationRows must be at least 1.");
            if (LatencyBatchSize < 1) throw new ArgumentOutOfRangeException(nameof(LatencyBatchSize), LatencyBatchSize, "LatencyBatchSize must be at least 1.");
            if (LatencyThreads < 1) throw new ArgumentOutOfRangeException(nameof(LatencyThreads), LatencyThreads, "LatencyThreads must be at least 1.");
            if (LatencyRounds < 1) throw new ArgumentOutOfRangeException(nameof(LatencyRounds), LatencyRounds, "LatencyRounds must be at least 1.");
            if (!(FineTuneLearningRate > 0) || double.IsInfinity(FineTuneLearningRate))
                throw new ArgumentOutOfRangeException(nameof(FineTuneLearningRate), FineTuneLearningRate, "FineTuneLearningRate must be a positive number.");
        }
    }

    private readonly CompressionCatalog _catalog;
    private readonly StartingPoint _start;
    private readonly Options _options;
    private readonly List<SweepObjective> _objectives = new();
    private readonly List<SweepConstraint> _constraints = new();
    private readonly List<SweepConfiguration> _initial = new();
    private IDataView? _train, _validation;
    private SweepTuner? _tuner;
    private int _maxTrials = 50;
    private TimeSpan? _maxTime;
    private string? _checkpoint;
    private ISweepMonitor? _monitor;
    private int[] _fidelities = { 1 };
    private int _eta = 3;
    private (SensitivityReport Report, double[] MaxDrops)? _sensitivity;
    // Trials of one method share its rate-independent phases and finished plan steps; ReuseTrainingFrom shares them across sweeps.
    private TrainedPhaseCache _trained = new();
    private CompressionSweep? _trainedBy;

    internal TrainedPhaseCache TrainedPhases => _trained;

    internal CompressionSweep(CompressionCatalog catalog, StartingPoint start, Options options)
    {
        ArgumentNullException.ThrowIfNull(start);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _catalog = catalog;
        _start = start;
        _options = options;
        SearchSpace = CompressionSearchSpace.Create(start.Network);
    }

    /// <summary>The space searched (the default of <see cref="CompressionSearchSpace.Create"/> until replaced); add parameters to it freely.</summary>
    public SweepSearchSpace SearchSpace { get; private set; }

    /// <summary>The data: trials train on <paramref name="train"/> and are scored on <paramref name="validation"/>.</summary>
    public CompressionSweep SetDataset(IDataView train, IDataView validation)
    {
        _train = train ?? throw new ArgumentNullException(nameof(train));
        _validation = validation ?? throw new ArgumentNullException(nameof(validation));
        return this;
    }

    /// <summary>Replaces the search space (see <see cref="CompressionSearchSpace"/> for the parameter names a trial reads).</summary>
    public CompressionSweep SetSearchSpace(SweepSearchSpace space)
    {
        SearchSpace = space ?? throw new ArgumentNullException(nameof(space));
        return this;
    }

    /// <summary>
    /// The objectives (metric names of <see cref="CompressionMetrics"/>). Default: accuracy up, bytes down. An objective
    /// without a <see cref="SweepObjective.RelativeTolerance"/> gets <see cref="CompressionMetrics.DefaultTolerance"/>.
    /// </summary>
    public CompressionSweep SetObjectives(params SweepObjective[] objectives)
    {
        ArgumentNullException.ThrowIfNull(objectives);
        if (objectives.Length == 0) throw new ArgumentException("Give at least one objective, e.g. new SweepObjective(CompressionMetrics.Accuracy, Maximize: true).", nameof(objectives));
        _objectives.Clear();
        _objectives.AddRange(objectives);
        return this;
    }

    /// <summary>Adds a bound a trial must meet to be feasible, e.g. <c>SweepConstraint.AtMost(CompressionMetrics.BytesRatio, 0.1)</c>.</summary>
    public CompressionSweep AddConstraint(SweepConstraint constraint)
    {
        _constraints.Add(constraint ?? throw new ArgumentNullException(nameof(constraint)));
        return this;
    }

    /// <summary>The tuner. Default <see cref="SweepTuner.MultiObjective"/> with several objectives, <see cref="SweepTuner.CostFrugal"/> with one.</summary>
    public CompressionSweep SetTuner(SweepTuner tuner)
    {
        _tuner = tuner ?? throw new ArgumentNullException(nameof(tuner));
        return this;
    }

    /// <summary>The most trials to run (promotions included). Default 50.</summary>
    public CompressionSweep SetMaxTrials(int maxTrials)
    {
        if (maxTrials < 1) throw new ArgumentOutOfRangeException(nameof(maxTrials), maxTrials, "maxTrials must be at least 1.");
        _maxTrials = maxTrials;
        return this;
    }

    /// <summary>The time budget: no trial starts once it is spent. Default none.</summary>
    public CompressionSweep SetTrainingTimeInSeconds(uint seconds)
    {
        if (seconds == 0) throw new ArgumentOutOfRangeException(nameof(seconds), seconds, "The time budget must be at least one second.");
        _maxTime = TimeSpan.FromSeconds(seconds);
        return this;
    }

    /// <summary>
    /// A folder where every finished trial (configuration, metrics, its ONNX model) is kept: running the same sweep on it
    /// again after a crash or cancellation continues without repeating finished trials. A folder of another sweep is refused.
    /// </summary>
    public CompressionSweep SetCheckpointFolder(string folder)
    {
        if (string.IsNullOrWhiteSpace(folder)) throw new ArgumentException("The checkpoint folder must be a path.", nameof(folder));
        _checkpoint = folder;
        return this;
    }

    /// <summary>Hears about every trial as it starts and ends (e.g. a progress display).</summary>
    public CompressionSweep SetMonitor(ISweepMonitor monitor)
    {
        _monitor = monitor ?? throw new ArgumentNullException(nameof(monitor));
        return this;
    }

    /// <summary>
    /// Training epochs per step at each fidelity, increasing (e.g. 1, 3): new configurations train the fewest, and the best
    /// 1/<paramref name="eta"/> of each level are trained again with the next (successive halving). Default { 1 }.
    /// </summary>
    public CompressionSweep SetFidelities(int[] epochs, int eta = 3)
    {
        ArgumentNullException.ThrowIfNull(epochs);
        if (epochs.Length == 0 || epochs.Any(e => e < 1) || epochs.Zip(epochs.Skip(1)).Any(p => p.Second <= p.First))
            throw new ArgumentException($"Fidelities must be increasing epoch counts of at least 1, got [{string.Join(", ", epochs)}].", nameof(epochs));
        if (eta < 2) throw new ArgumentOutOfRangeException(nameof(eta), eta, "eta must be at least 2.");
        _fidelities = (int[])epochs.Clone();
        _eta = eta;
        return this;
    }

    /// <summary>Configurations to try first (the tuner learns from them), e.g. the hand-tuned plan you have.</summary>
    public CompressionSweep AddInitialConfigurations(params SweepConfiguration[] configurations)
    {
        ArgumentNullException.ThrowIfNull(configurations);
        _initial.AddRange(configurations);
        return this;
    }

    /// <summary>
    /// Starts from what <paramref name="sensitivity"/> says each layer tolerates (see
    /// <see cref="CompressionSearchSpace.FromSensitivity"/>), at accuracy drops of 0.25, 0.5 and 1 point by default. Unlike
    /// <see cref="AddInitialConfigurations"/>, a start whose model cannot meet a size constraint is skipped, not trained.
    /// </summary>
    public CompressionSweep UseSensitivity(SensitivityReport sensitivity, params double[] maxDropPoints)
    {
        ArgumentNullException.ThrowIfNull(sensitivity);
        ArgumentNullException.ThrowIfNull(maxDropPoints);
        // Turned into configurations when the sweep runs, so they fit the search space it runs with.
        _sensitivity = (sensitivity, maxDropPoints.Length == 0 ? new[] { 0.25, 0.5, 1.0 } : (double[])maxDropPoints.Clone());
        return this;
    }

    /// <summary>
    /// Lets this sweep's trials reuse what <paramref name="earlier"/>'s trials trained (a method's rate-independent
    /// phase such as slimming's sparsity training, a finished pruning step followed by another quantization) when they
    /// run it again from the same start weights, options, seed and data: e.g. a sweep after the hand-tuned plans measured
    /// as a sweep of their own, or a second sweep with other constraints. Both sweeps must use the same train and
    /// validation IDataView objects (checked when this one runs). A reused step costs its trial no time and gives the
    /// model training it again would give.
    /// </summary>
    public CompressionSweep ReuseTrainingFrom(CompressionSweep earlier)
    {
        ArgumentNullException.ThrowIfNull(earlier);
        _trained = earlier._trained;
        _trainedBy = earlier;
        return this;
    }

    /// <summary>Runs trials until the budget is spent, the space is exhausted or <paramref name="cancellationToken"/> fires.</summary>
    public async Task<CompressionSweepResult> RunAsync(CancellationToken cancellationToken = default)
    {
        if (_train is null || _validation is null) throw new InvalidOperationException("Call SetDataset(train, validation) before RunAsync.");
        // Cache keys name row counts, not rows: sharing with a sweep on other data would reuse training on that data.
        if (_trainedBy is { } earlier && (!ReferenceEquals(earlier._train, _train) || !ReferenceEquals(earlier._validation, _validation)))
            throw new InvalidOperationException(
                $"ReuseTrainingFrom: the earlier sweep {(ReferenceEquals(earlier._train, _train) ? "validates on another validation IDataView" : "trains on another train IDataView")}; pass the same objects to both sweeps' SetDataset.");
        IHost host = _catalog.Environment.Register("Compression.Sweep");
        using IChannel channel = host.Start("Sweep");
        using var runner = new CompressionTrialRunner(_catalog, _start, _train, _validation, _options, _trained);
        var objectives = (_objectives.Count > 0 ? _objectives
            : new List<SweepObjective> { new(CompressionMetrics.Accuracy, true), new(CompressionMetrics.Bytes, false) })
            .Select(o => o.RelativeTolerance == 0 ? o with { RelativeTolerance = CompressionMetrics.DefaultTolerance(o.Metric) } : o).ToList();
        SweepSearchSpace space = SearchSpace;

        SweepMetrics Evaluate(SweepTrialContext trial)
        {
            CompressionTrialSettings settings = CompressionSearchSpace.Decode(trial.Configuration, trial.Fidelity);
            channel.Info(MessageSensitivity.None, $"Sweep trial {trial.Id}: {settings}.");
            var metrics = runner.Run(settings, o => space.ApplyTo(o, trial.Configuration, CompressionSearchSpace.OptionsPrefix),
                Path.Combine(trial.Folder, CompressionSweepResult.ModelFile), trial.CancellationToken);
            return new SweepMetrics(metrics);
        }

        var engine = new SweepEngine(space, Evaluate)
        {
            Tuner = _tuner, MaxTrials = _maxTrials, MaxTime = _maxTime, CheckpointFolder = _checkpoint, Monitor = _monitor,
            Fidelities = _fidelities, Eta = _eta, Log = line => channel.Info(MessageSensitivity.None, line),
            Canonicalize = c => CompressionSearchSpace.Canonical(space, c, _start.Network),
        };
        // With a bound on the size, configurations whose structure alone exceeds it are not trained.
        if (_constraints.Any(c => !c.IsLowerBound && c.Metric is CompressionMetrics.Bytes or CompressionMetrics.BytesRatio))
            engine.Precheck = c => runner.SizeBounds(CompressionSearchSpace.Decode(c, 1));
        foreach (var o in objectives) engine.Objectives.Add(o);
        foreach (var c in _constraints) engine.Constraints.Add(c);
        foreach (var p in _initial) engine.InitialPoints.Add(p);
        if (_sensitivity is var (report, drops))
            foreach (var p in CompressionSearchSpace.FromSensitivity(space, report, drops).Except(_initial)) engine.SuggestedPoints.Add(p);
        var start = runner.StartMetrics();
        channel.Info(MessageSensitivity.None, $"Sweep start: {_start.Network.Name}, accuracy {start[CompressionMetrics.Accuracy]:P2}, {start[CompressionMetrics.Bytes]:N0} ONNX bytes, {start[CompressionMetrics.LatencyMs]:F3} ms per batch; {space.Dimensions} parameters.");
        SweepResult result = await engine.RunAsync(cancellationToken).ConfigureAwait(false);
        return new CompressionSweepResult(result, start, runner.Fp32Onnx);
    }
}
