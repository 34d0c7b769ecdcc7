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

    /// <summary>
    /// Fails before Fit, naming the layer, when the per-layer <see cref="PruningOptions.PruneRate"/> would empty one, or
    /// naming the option when a target (<see cref="PruningOptions.TargetMacs"/>, <see cref="PruningOptions.TargetParameters"/>)
    /// is out of reach (per-layer widths do not depend on the scores, so both are known now).
    /// </summary>
    private protected void CheckPerLayerRate()
    {
        ChannelDependencies deps = Settings.PerLayerDependencies(Network);
        SelectPerLayer(null, deps, ChannelImportance.FilterL1(deps));
    }

    /// <summary>
    /// The rate, or the targets, as a method name shows them: "50"; "macs50" for <see cref="PruningOptions.TargetMacs"/>
    /// 0.5; "params33" for <see cref="PruningOptions.TargetParameters"/> 0.33; "macs50-params33" for both.
    /// </summary>
    private protected string RateTag => Settings.Target is null ? Percent(Settings.PruneRate)
        : string.Join("-", new[] { Settings.TargetMacs is { } m ? "macs" + Percent(m) : null, Settings.TargetParameters is { } p ? "params" + Percent(p) : null }.Where(t => t is not null));

    private static string Percent(double fraction) => Math.Round(fraction * 100).ToString("0", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>How much of every layer's <paramref name="what"/> goes, for the notes: "50% of every layer's filters".</summary>
    private protected string Amount(string what) => Settings.Target is { } target
        ? $"the same fraction of every layer's {what}, enough to keep {target}"
        : Settings.LayerPruneRates.Count == 0 ? $"{Settings.PruneRate:P0} of every layer's {what}"
        : $"{Settings.PruneRate:P0} of the {what} of every layer but {string.Join(", ", Settings.LayerPruneRates.Select(e => $"{e.Key} ({e.Value:P0})"))}";

    /// <summary>
    /// The <see cref="PruningOptions.PruneRate"/> lowest-scored channels of every group (widths rounded to
    /// <see cref="PruningOptions.ChannelMultiple"/> unless <see cref="PruningOptions.ExactRate"/>), or with a target
    /// those of the rate that reaches it (noted in <paramref name="context"/>).
    /// </summary>
    private protected HashSet<int> SelectPerLayer(FitContext? context, ChannelDependencies deps, IReadOnlyDictionary<int, double> scores)
    {
        if (Settings.Target is not { } target) return Settings.SelectPerGroup(deps, scores);
        PruningTarget.Result found = PruningTarget.PerGroup(deps, scores, target, Settings.Multiple);
        string left = $"{found.Macs:N0} of {deps.Graph.Macs:N0} MACs ({(double)found.Macs / deps.Graph.Macs:P1}) and {found.Parameters:N0} of {deps.Graph.ParameterCount:N0} parameters ({(double)found.Parameters / deps.Graph.ParameterCount:P1})";
        if (!found.Reached)
        {
            string option = found.Macs > target.Limits(deps.Graph).Macs ? nameof(PruningOptions.TargetMacs) : nameof(PruningOptions.TargetParameters);
            throw new ArgumentOutOfRangeException(option, option == nameof(PruningOptions.TargetMacs) ? target.Macs : target.Parameters,
                $"{option} is out of reach for network '{deps.Graph.Name}' (asked to keep {target}): pruning every layer as far as it goes leaves {left}; ask for more, or prune layers that are excluded or coupled.");
        }
        context?.Note($"Target {target}: prune rate {found.Rate:0.###} leaves {left}.");
        return found.Removed;
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
    /// Removes the channels <see cref="SelectPerLayer"/> picks, then fine-tunes the smaller network, with its checkpoints in
    /// <paramref name="checkpointFolder"/> (null: <see cref="Training.TrainingOptions.CheckpointDirectory"/> itself).
    /// </summary>
    private protected NetworkGraph RemovePerLayerAndFineTune(FitContext context, ChannelDependencies deps, IReadOnlyDictionary<int, double> scores, string how,
        string? checkpointFolder = null)
    {
        var removed = SelectPerLayer(context, deps, scores);
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
