using Microsoft.ML.Compression.Compressed;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Pruning;

namespace Microsoft.ML.Compression.Estimators;

/// <summary>
/// What the structured pruning estimators share on top of the Fit skeleton: the dependency analysis under the options'
/// residual mode and exclusions, the logged physical removal, and the fitted model with its
/// <see cref="Analysis.PruningReport"/>. Each method supplies how it trains, scores and removes channels.
/// </summary>
/// <typeparam name="TOptions">The method's options.</typeparam>
public abstract class PruningEstimator<TOptions> : CompressionEstimator<TOptions> where TOptions : PruningOptions
{
    private protected PruningEstimator(CompressionCatalog catalog, StartingPoint startFrom, TOptions options, string name)
        : base(catalog, startFrom, options, name)
    {
    }

    /// <summary>Fails before Fit, naming the layer, when the per-layer <see cref="PruningOptions.PruneRate"/> would empty one.</summary>
    private protected void CheckPerLayerRate()
    {
        ChannelDependencies deps = Settings.Dependencies(Network);
        if (deps.Channels.Count == 0) deps = Settings.Dependencies(Network, linearUnits: true);
        ChannelSelection.PerGroup(deps, ChannelImportance.FilterL1(deps), Settings.PruneRate, nameof(PruningOptions.PruneRate));
    }

    /// <summary>The method's name in the report and the ONNX metadata, e.g. "slim50".</summary>
    private protected abstract string Method { get; }

    /// <summary>Runs the method from <see cref="CompressionEstimator{TOptions}.Network"/> and returns the pruned, fine-tuned network.</summary>
    private protected abstract NetworkGraph Prune(FitContext context);

    private protected sealed override FitResult FitCore(FitContext context)
    {
        NetworkGraph pruned = Prune(context);
        return new FitResult(new CompressedNetwork(pruned), pruned, Method, Prunes: true);
    }

    /// <summary>
    /// The dependency analysis of <paramref name="graph"/>; notes the convolutions it skips when <paramref name="noteSkipped"/>.
    /// With <paramref name="linearUnitsWithoutConvolutions"/>, a network without prunable convolution channels (an MLP)
    /// has its Linear layers' hidden units pruned instead.
    /// </summary>
    private protected ChannelDependencies Analyze(FitContext context, NetworkGraph graph, bool noteSkipped, bool linearUnitsWithoutConvolutions = false)
    {
        var deps = Settings.Dependencies(graph);
        if (deps.Channels.Count == 0 && linearUnitsWithoutConvolutions && Settings.Dependencies(graph, linearUnits: true) is { Channels.Count: > 0 } units)
        {
            context.Note($"{graph.Name} has no prunable convolution channels: pruning the hidden units of its Linear layers instead.");
            deps = units;
        }
        if (noteSkipped)
            foreach (var (layer, reason) in deps.SkippedLayers)
                context.Note($"{layer} not pruned: {reason}");
        if (deps.Channels.Count == 0)
            throw new InvalidOperationException($"Network '{graph.Name}' has no prunable convolution channels (with {nameof(PruningOptions.Residual)} = {Settings.Residual}).");
        return deps;
    }

    /// <summary>
    /// Removes the <see cref="PruningOptions.PruneRate"/> lowest-scored channels of every layer (widths kept at multiples
    /// of <see cref="PruningOptions.ChannelMultiple"/>), then fine-tunes the smaller network, with its checkpoints in
    /// <paramref name="checkpointFolder"/> (null: <see cref="Training.TrainingOptions.CheckpointDirectory"/> itself).
    /// </summary>
    private protected NetworkGraph RemovePerLayerAndFineTune(FitContext context, ChannelDependencies deps, IReadOnlyDictionary<int, double> scores, string how,
        string? checkpointFolder = null)
    {
        var removed = ChannelSelection.RoundKept(deps, ChannelSelection.PerGroup(deps, scores, Settings.PruneRate, nameof(PruningOptions.PruneRate)), scores, Settings.ChannelMultiple);
        return context.TrainNetwork(Remove(context, deps, removed, how), "Fine-tuning", checkpointFolder: checkpointFolder, startIsModel: true);
    }

    /// <summary>Physically removes <paramref name="removed"/> and notes what went.</summary>
    private protected static NetworkGraph Remove(FitContext context, ChannelDependencies deps, IReadOnlySet<int> removed, string how)
    {
        NetworkGraph pruned = ChannelPruner.Prune(deps, removed);
        context.Note($"{how}: removed {removed.Count} of {deps.Channels.Count} prunable channels; parameters {deps.Graph.ParameterCount:N0} -> {pruned.ParameterCount:N0}, MACs {deps.Graph.Macs:N0} -> {pruned.Macs:N0}.");
        return pruned;
    }
}
