using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.Compression.Analysis;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Onnx;
using Microsoft.ML.Compression.Pruning;
using Microsoft.ML.Compression.Training;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Compression.Estimators;

/// <summary>The steps pruning estimators share: a training phase on a graph, a logged removal, and the final model with its pruning report.</summary>
internal sealed class PruningSteps
{
    private readonly PruningOptions _options;
    private readonly IChannel _channel;
    private readonly LabeledDataset _train;
    private readonly LabeledDataset? _validation;
    private readonly List<EpochMetrics> _history = new();
    private readonly List<string> _notes = new();

    public PruningSteps(PruningOptions options, IChannel channel, LabeledDataset train, LabeledDataset? validation)
    {
        _options = options;
        _channel = channel;
        _train = train;
        _validation = validation;
    }

    /// <summary>Notes for the report (decisions a user should know about).</summary>
    public void Note(string note)
    {
        _notes.Add(note);
        _channel.Info(MessageSensitivity.None, note);
    }

    /// <summary>The dependency analysis with the options' residual mode and exclusions; notes skipped convolutions once.</summary>
    public ChannelDependencies Analyze(NetworkGraph graph, bool noteSkipped)
    {
        var deps = _options.Dependencies(graph);
        if (noteSkipped)
            foreach (var (layer, reason) in deps.SkippedLayers)
                Note($"{layer} not pruned: {reason}");
        if (deps.Channels.Count == 0)
            throw new InvalidOperationException($"Network '{graph.Name}' has no prunable convolution channels (with {nameof(PruningOptions.Residual)} = {_options.Residual}).");
        return deps;
    }

    /// <summary>The training rows (e.g. to fit knockoffs).</summary>
    public LabeledDataset TrainingData => _train;

    /// <summary>
    /// Trains <paramref name="graph"/>'s weights for <paramref name="epochs"/> epochs (with <paramref name="hooks"/>, and
    /// against the options' teacher if there is one) and returns the trained copy.
    /// </summary>
    public NetworkGraph Train(NetworkGraph graph, int epochs, string phase, params ITrainingHook[] hooks)
    {
        if (epochs == 0) return graph;
        using var module = new GraphModule(graph);
        using var distillation = _options.Distillation(module);
        if (distillation is not null && _options.DistillationSummary is string kd) _channel.Info(MessageSensitivity.None, $"{phase}: {kd}");
        Run(module, _options.WithEpochs(epochs), phase, hooks.Append<ITrainingHook?>(distillation).ToArray());
        if (distillation?.Outcome is string outcome) Note($"{phase}: {outcome}");
        return module.ToGraph();
    }

    /// <summary>Runs the training loop on <paramref name="module"/> with <paramref name="options"/>, adding its epochs to the history.</summary>
    public void Run(GraphModule module, TrainingOptions options, string phase, params ITrainingHook?[] hooks)
    {
        _channel.Info(MessageSensitivity.None, $"{phase}: {options.Epochs} epochs of {module.Graph.Name} ({module.Graph.ParameterCount:N0} parameters).");
        var loop = new TrainingLoop(options, _channel, _options.OnEpoch, _options.CancellationToken);
        _history.AddRange(loop.Run(module, _train, _validation, hooks));
    }

    /// <summary>Physically removes <paramref name="removed"/> and logs what went.</summary>
    public NetworkGraph Remove(ChannelDependencies deps, IReadOnlySet<int> removed, string how)
    {
        NetworkGraph pruned = ChannelPruner.Prune(deps, removed);
        Note($"{how}: removed {removed.Count} of {deps.Channels.Count} prunable channels; parameters {deps.Graph.ParameterCount:N0} -> {pruned.ParameterCount:N0}, MACs {deps.Graph.Macs:N0} -> {pruned.Macs:N0}.");
        return pruned;
    }

    /// <summary>The fitted model: fp32 ONNX of <paramref name="pruned"/>, with the report comparing it to <paramref name="start"/>.</summary>
    public CompressedModelTransformer Finish(CompressionCatalog catalog, NetworkGraph start, NetworkGraph pruned, string method,
        string featureColumn, IDataView schemaSource)
    {
        var exportOptions = new OnnxExportOptions { InputName = featureColumn, Method = method };
        byte[] onnx = OnnxExporter.Export(pruned, exportOptions);
        long before = OnnxExporter.Export(start, exportOptions with { Method = "fp32" }).LongLength;
        var pruning = new PruningReport(start, pruned, before, onnx.LongLength, _notes.ToArray());
        var report = new ModelReport(pruned, method, onnx.LongLength, _history.ToArray(), null, before);
        return new CompressedModelTransformer(catalog.Transforms, pruned, null, onnx, featureColumn, report, schemaSource, pruning: pruning);
    }
}
