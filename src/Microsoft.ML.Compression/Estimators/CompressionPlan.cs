using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.Compression.Analysis;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Onnx;
using Microsoft.ML.Compression.Scoring;
using Microsoft.ML.Compression.Training;
using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Compression.Estimators;

/// <summary>
/// Several compression steps declared as one estimator: Fit runs them in order, each starting from the model the
/// previous one produced, and returns the last model, whose <see cref="CompressedModelTransformer.Plan"/> lists what
/// every step did (accuracy on the validation data, parameters, bytes, MACs). Pruning, then distillation, then
/// quantization gives one ONNX model with fewer channels and int8 (or low-bit) weights.
/// </summary>
/// <remarks>
/// Each method adds a step and returns a new plan (the plan it was called on is unchanged). A quantization step must
/// be the last one: later steps would train the float weights and export without it. With <see cref="WithTeacher"/>
/// every training step that names no teacher of its own distils from the given model. Every step reads and writes the
/// plan's columns. A step that fails (or is cancelled) releases the models built so far.
/// </remarks>
/// <example>
/// <code>
/// var fp32 = mlContext.Transforms.Compression.Train(NetworkZoo.ResNet20()).Fit(train);
/// var small = mlContext.Transforms.Compression.Plan(fp32)
///     .WithTeacher(fp32)
///     .NetworkSlimming(new NetworkSlimming.Options { PruneRate = 0.5 })
///     .QuantizeAwareTraining()
///     .Fit(train, validation);
/// Console.WriteLine(small.Plan);   // one row per step
/// small.SaveOnnx("resnet20-slim50-int8.onnx");
/// </code>
/// </example>
public sealed class CompressionPlan : IEstimator<CompressedModelTransformer>
{
    /// <summary>Options of <see cref="CompressionPlan"/>: the columns every step reads and writes, threads, cancellation and checkpoints.</summary>
    public sealed class Options : EstimatorOptions
    {
        /// <summary>
        /// A folder where the plan keeps its progress: after each step but the last, that step's float network (fp32
        /// ONNX, written under a temporary name and moved into place) and a manifest naming the finished steps (with
        /// their report rows and the seeds the steps run with) and a fingerprint of the plan's start, steps and step
        /// options. A Fit started again on the folder loads the finished steps' networks instead of running them
        /// again (logging "resumed: step k ... loaded from ..."), and the step in progress keeps its training
        /// checkpoints in <c>step-k-Name</c> under the folder (unless its options set a
        /// <see cref="Training.TrainingOptions.CheckpointDirectory"/> of their own), so it continues from its last
        /// completed epoch; the plan ends with the bytes of an uninterrupted run. A folder of another plan is refused.
        /// Steps whose options set no <see cref="EstimatorOptions.Seed"/> run with seeds drawn once (from the plan's
        /// <see cref="EstimatorOptions.Seed"/>, else the MLContext) and kept in the manifest. Networks whose fp32 ONNX
        /// does not read back exactly (e.g. with Dropout layers) cannot be kept: the plan then throws
        /// <see cref="NotSupportedException"/> after the first step. Default null: no checkpoints.
        /// </summary>
        public string? CheckpointDirectory { get; set; }

        /// <summary>
        /// Where finished steps but the last are kept for the next Fit with the same cache (a sweep sets it for its
        /// trials, which often share their pruning step and differ in quantization); null: every Fit runs every step.
        /// </summary>
        internal TrainedPhaseCache? StepCache { get; set; }

        /// <inheritdoc />
        public override void Validate()
        {
            base.Validate();
            if (CheckpointDirectory is not null && string.IsNullOrWhiteSpace(CheckpointDirectory))
                throw new ArgumentException("CheckpointDirectory must be a folder path or null.", nameof(CheckpointDirectory));
        }
    }

    // checkpoints and seed: where the step keeps its training checkpoints and the seed it runs with when its options set none (both null without plan checkpoints).
    private delegate CompressedModelTransformer StepRun(StartingPoint from, StartingPoint? teacher, IDataView train, IDataView? validation, string? checkpoints, int? seed);

    private sealed record Step(string Name, bool Quantizes, bool Trains, StartingPoint? OwnTeacher, EstimatorOptions Settings, StepRun Run);

    private readonly CompressionCatalog _catalog;
    private readonly StartingPoint _start;
    private readonly Options _options;
    private readonly StartingPoint? _teacher;
    private readonly IReadOnlyList<Step> _steps;

    internal CompressionPlan(CompressionCatalog catalog, StartingPoint startFrom, Options options)
        : this(catalog, startFrom, options, null, Array.Empty<Step>())
    {
        ArgumentNullException.ThrowIfNull(startFrom);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
    }

    private CompressionPlan(CompressionCatalog catalog, StartingPoint start, Options options, StartingPoint? teacher, IReadOnlyList<Step> steps)
    {
        _catalog = catalog;
        _start = start;
        _options = options;
        _teacher = teacher;
        _steps = steps;
    }

    /// <summary>The steps, in the order Fit runs them.</summary>
    public IReadOnlyList<string> Steps => _steps.Select(s => s.Name).ToArray();

    /// <summary>Every training step without a teacher of its own distils from <paramref name="teacher"/> (e.g. the starting model).</summary>
    public CompressionPlan WithTeacher(StartingPoint teacher)
    {
        ArgumentNullException.ThrowIfNull(teacher);
        Distillation.TeacherChecks.CheckCompatible(_start.Network, teacher.Network, Array.Empty<Distillation.FeatureHint>(), nameof(teacher));
        return new CompressionPlan(_catalog, _start, _options, teacher, _steps);
    }

    /// <summary>Adds Network Slimming (see <see cref="CompressionCatalog.NetworkSlimming(StartingPoint, NetworkSlimming.Options)"/>).</summary>
    public CompressionPlan NetworkSlimming(NetworkSlimming.Options? options = null) =>
        Training(nameof(NetworkSlimming), options ?? new NetworkSlimming.Options(), false, (from, o) => _catalog.NetworkSlimming(from, o).Fit);

    /// <summary>Adds L1-norm filter pruning.</summary>
    public CompressionPlan L1NormPruning(L1NormPruner.Options? options = null) =>
        Training(nameof(L1NormPruning), options ?? new L1NormPruner.Options(), false, (from, o) => _catalog.L1NormPruning(from, o).Fit);

    /// <summary>Adds SCOP pruning (the teacher, if any, guides its fine-tuning, not the control phase).</summary>
    public CompressionPlan Scop(ScopPruner.Options? options = null) =>
        Training(nameof(Scop), options ?? new ScopPruner.Options(), false, (from, o) => _catalog.Scop(from, o).Fit);

    /// <summary>Adds knowledge distillation of the current model from the plan's teacher (see <see cref="WithTeacher"/>).</summary>
    public CompressionPlan Distill(Distiller.Options? options = null)
    {
        var o = (Distiller.Options)(options ?? new Distiller.Options()).WithColumnsOf(_options);
        o.Validate();
        return Append(new Step(nameof(Distill), false, true, o.Teacher, o,
            (from, teacher, train, validation, checkpoints, seed) => _catalog.Distill(from.Network, (o.Teacher ?? teacher)!, ForStep(o, checkpoints, seed)).Fit(train, validation)));
    }

    /// <summary>Adds quantization-aware training (int8 by default); must be the last step.</summary>
    public CompressionPlan QuantizeAwareTraining(QuantizeAwareTrainer.Options? options = null) =>
        Training(nameof(QuantizeAwareTraining), options ?? new QuantizeAwareTrainer.Options(), true, (from, o) => _catalog.QuantizeAwareTraining(from, o).Fit);

    /// <summary>Adds SLB low-bit weight search; must be the last step.</summary>
    public CompressionPlan Slb(SlbQuantizer.Options? options = null) =>
        Training(nameof(Slb), options ?? new SlbQuantizer.Options(), true, (from, o) => _catalog.Slb(from, o).Fit);

    /// <summary>Adds post-training quantization (calibrated on the training data); must be the last step.</summary>
    public CompressionPlan PostTrainingQuantization(PostTrainingQuantizer.Options? options = null)
    {
        var o = (PostTrainingQuantizer.Options)(options ?? new PostTrainingQuantizer.Options()).WithColumnsOf(_options);
        o.Validate();
        return Append(new Step(nameof(PostTrainingQuantization), true, false, null, o,
            (from, _, train, _, _, _) => _catalog.PostTrainingQuantization(from, o).Fit(train)));
    }

    // create gives the estimator's Fit(train, validation) for a starting point and the options the step runs with.
    private CompressionPlan Training<TOptions>(string name, TOptions options, bool quantizes,
        Func<StartingPoint, TOptions, Func<IDataView, IDataView?, CompressedModelTransformer>> create)
        where TOptions : CompressionOptions
    {
        var own = (TOptions)options.WithColumnsOf(_options);
        own.Validate(); // fail when the plan is declared, not after the earlier steps trained
        return Append(new Step(name, quantizes, true, own.Teacher, own, (from, teacher, train, validation, checkpoints, seed) =>
        {
            var effective = own.Teacher is null && teacher is not null ? (TOptions)own.WithTeacher(teacher) : own;
            return create(from, ForStep(effective, checkpoints, seed))(train, validation);
        }));
    }

    // The step's own CheckpointDirectory and Seed win over the plan's.
    private static TOptions ForStep<TOptions>(TOptions options, string? checkpoints, int? seed) where TOptions : TrainingOptions
    {
        if (checkpoints is not null && options.CheckpointDirectory is null) options = (TOptions)options.WithCheckpointDirectory(checkpoints);
        if (seed is int s && options.Seed is null) options = (TOptions)options.WithSeed(s);
        return options;
    }

    private CompressionPlan Append(Step step)
    {
        if (_steps.Count > 0 && _steps[^1].Quantizes)
            throw new InvalidOperationException(
                $"Step {_steps.Count + 1} ({step.Name}) would follow {_steps[^1].Name}: a quantization step must be the last of a plan, because later steps train the float weights and export without it.");
        return new CompressionPlan(_catalog, _start, _options, _teacher, _steps.Append(step).ToArray());
    }

    /// <inheritdoc />
    public CompressedModelTransformer Fit(IDataView input) => Fit(input, null);

    /// <summary>
    /// Runs every step on <paramref name="trainData"/>; after each, the step's exported model is scored by ONNX Runtime on
    /// <paramref name="validationData"/> for the report (no accuracy is reported without it).
    /// </summary>
    public CompressedModelTransformer Fit(IDataView trainData, IDataView? validationData)
    {
        ArgumentNullException.ThrowIfNull(trainData);
        if (_steps.Count == 0) throw new InvalidOperationException("The plan has no steps; add one, e.g. .NetworkSlimming() or .QuantizeAwareTraining().");
        int untaught = _steps.ToList().FindIndex(s => s.Name == nameof(Distill) && s.OwnTeacher is null && _teacher is null);
        if (untaught >= 0)
            throw new InvalidOperationException($"Step {untaught + 1} (Distill) has no teacher: call WithTeacher(...) on the plan or set Distiller.Options.Teacher.");
        IHost host = _catalog.Environment.Register("Compression.Plan");
        using IChannel channel = host.Start("Plan");
        void CheckAlive() => FitContext.CheckAlive(_catalog.Environment, host, _options.CancellationToken);
        using var session = TorchSession.Enter(CheckAlive, _options.Threads);
        NetworkGraph start = _start.Network;
        using LabeledDataset? validation = validationData is null ? null
            : LabeledDataset.Read(validationData, _options.FeatureColumnName, _options.LabelColumnName, start.InputSize, start.ClassCount, caching: _options.DataCache);

        var rows = new List<PlanStepReport> { StartRow(start, validation) };
        StartingPoint current = _start;
        CompressedModelTransformer? model = null;
        PruningReport? pruning = null;
        PlanCheckpoint? checkpoint = _options.CheckpointDirectory is string directory
            ? PlanCheckpoint.Open(directory, PlanCheckpoint.Fingerprint(start, _teacher?.Network, _steps.Select(s => (s.Name, (object)s.Settings))),
                () => DrawSeeds(host))
            : null;
        // A step finished before (in the checkpoint, or in an earlier Fit sharing the StepCache) is not run: the next
        // step starts from its network.
        void Skip(NetworkGraph network, PlanStepReport row, PruningReport? stepPruning, string message)
        {
            model?.Dispose();
            model = null;
            pruning = stepPruning ?? pruning;
            current = network;
            rows.Add(row);
            channel.Info(MessageSensitivity.None, message);
        }
        try
        {
            for (int i = 0; i < _steps.Count; i++)
            {
                CheckAlive();
                Step step = _steps[i];
                if (checkpoint?.Finished(i) is { } finished)
                {
                    (NetworkGraph network, string path) = checkpoint.Load(finished);
                    PruningReport? loaded = finished.Pruning is { } p ? new PruningReport(current.Network, network, p.OnnxBytesBefore, p.OnnxBytesAfter, p.Notes) : null;
                    Skip(network, finished.Row, loaded, $"Plan resumed: step {i + 1} {step.Name} loaded from '{path}'.");
                    continue;
                }
                string? reuseKey = i < _steps.Count - 1 ? ReuseKey(i, trainData, validationData) : null;
                if (reuseKey is not null && _options.StepCache!.TryGet(reuseKey, out ReusedStep reused))
                {
                    Skip(reused.Network, reused.Row with { Seconds = 0 }, reused.Pruning,
                        $"Plan step {i + 1}/{_steps.Count}: {step.Name} ran in an earlier Fit (same start, steps before it, options, seed and data); its network is reused.");
                    checkpoint?.Finish(i, step.Name, reused.Network, rows[^1], reused.Pruning);
                    continue;
                }
                channel.Info(MessageSensitivity.None, $"Plan step {i + 1}/{_steps.Count}: {step.Name} of {current.Network.Name} ({current.Network.ParameterCount:N0} parameters).");
                var watch = Stopwatch.StartNew();
                CompressedModelTransformer next = step.Run(current, _teacher, trainData, validationData,
                    checkpoint?.StepDirectory(i, step.Name), checkpoint?.SeedOf(i));
                double seconds = watch.Elapsed.TotalSeconds;
                model?.Dispose();
                model = next;
                pruning = next.Pruning ?? pruning;
                current = next;
                double? accuracy = validation is null ? null : OnnxAccuracy.Of(next, validationData!, validation.Labels, _options.ScoreColumnName);
                string? teacherName = step.Trains ? (step.OwnTeacher ?? _teacher)?.Network.Name : null;
                var r = next.Report;
                rows.Add(new PlanStepReport(i + 1, step.Name, r.Method, accuracy, r.Parameters, r.ParameterBytes, r.Macs, r.OnnxBytes, teacherName, seconds));
                channel.Info(MessageSensitivity.None, $"Plan step {i + 1}/{_steps.Count} done: {r.Method}, {(accuracy is double a ? $"accuracy {a:P2}, " : "")}{r.Parameters:N0} parameters, {r.OnnxBytes:N0} ONNX bytes, {seconds:F0} s.");
                // The last step is never skipped (its own checkpoint makes it cheap to run again), and a partial model
                // (a cancelled step) is not a finished one.
                if (checkpoint is not null && i < _steps.Count - 1 && r.PartialModel is null)
                    checkpoint.Finish(i, step.Name, next.Network, rows[^1], next.Pruning);
                if (reuseKey is not null && r.PartialModel is null) _options.StepCache!.Add(reuseKey, new ReusedStep(next.Network, rows[^1], next.Pruning));
            }
        }
        catch
        {
            model?.Dispose(); // nothing of a failed plan outlives it
            throw;
        }
        model!.AttachPlan(new PlanReport(rows), pruning);
        return model;
    }

    private sealed record ReusedStep(NetworkGraph Network, PlanStepReport Row, PruningReport? Pruning);

    // What step `index` computes from: the start, the teacher, its own and earlier steps' names and options, and the
    // data's row counts; null (never reused) without a StepCache, or when a step up to it sets no seed (it would
    // draw a new one each Fit) or the data's size is unknown.
    private string? ReuseKey(int index, IDataView train, IDataView? validation)
    {
        if (_options.StepCache is null || _steps.Take(index + 1).Any(s => s.Settings.Seed is null)) return null;
        long? validationRows = validation?.GetRowCount();
        if (train.GetRowCount() is not long rows || (validation is not null && validationRows is null)) return null;
        string steps = PlanCheckpoint.Fingerprint(_start.Network, _teacher?.Network, _steps.Take(index + 1).Select(s => (s.Name, (object)s.Settings)));
        return string.Create(CultureInfo.InvariantCulture, $"plan step {index + 1}|{steps}|{rows}|{validationRows?.ToString(CultureInfo.InvariantCulture) ?? "-"}");
    }

    // One seed per step, drawn once and kept in the plan's manifest: a step's own seed would otherwise come from a host
    // the MLContext registers in order, which differs once finished steps are skipped.
    private int[] DrawSeeds(IHost host)
    {
        var random = _options.Seed is int seed ? new Random(seed) : host.Rand;
        return _steps.Select(_ => random.Next()).ToArray();
    }

    private PlanStepReport StartRow(NetworkGraph start, LabeledDataset? validation)
    {
        long bytes = OnnxExporter.Export(start, new OnnxExportOptions { InputName = _options.FeatureColumnName }).LongLength;
        var report = new ModelReport(start, "start", bytes);
        double? accuracy = null;
        if (validation is not null)
        {
            using var module = new GraphModule(start);
            accuracy = TrainingLoop.Evaluate(module, validation).Accuracy;
        }
        return new PlanStepReport(0, "start", "fp32", accuracy, report.Parameters, report.ParameterBytes, report.Macs, bytes, null, 0);
    }

    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema) =>
        ScoringSchema.Output(inputSchema, _options, _start.Network.InputSize, _start.Network.ClassCount, readsLabels: _steps.Any(s => s.Trains));
}
