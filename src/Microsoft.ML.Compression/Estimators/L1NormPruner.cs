using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Pruning;

namespace Microsoft.ML.Compression.Estimators;

/// <summary>
/// L1-norm filter pruning (Li et al., 2017): in every layer (or coupled residual stage) the same fraction of filters,
/// those with the smallest L1 norm, is removed physically, then the smaller network is fine-tuned. The baseline the
/// other pruning methods are compared with at the same rate.
/// </summary>
public sealed class L1NormPruner : PruningEstimator<L1NormPruner.Options>
{
    /// <summary>Options of <see cref="L1NormPruner"/>: the shared pruning settings; <see cref="PruningOptions.PruneRate"/> applies to every layer.</summary>
    public sealed class Options : PruningOptions
    {
    }

    internal L1NormPruner(CompressionCatalog catalog, StartingPoint startFrom, Options options)
        : base(catalog, startFrom, options, "L1NormPruning")
    {
        CheckPerLayerRate();
    }

    private protected override string Method => $"l1-{RateTag}";

    private protected override NetworkGraph Prune(FitContext context)
    {
        context.Note($"L1-norm filter pruning of {Network.Name}: remove {Amount("filters")}, then {Settings.Epochs} fine-tuning epochs.");
        ChannelDependencies deps = Analyze(context, Network, noteSkipped: true, linearUnitsWithoutConvolutions: true);
        return RemovePerLayerAndFineTune(context, deps, ChannelImportance.FilterL1(deps), "Smallest-L1 filters of each layer");
    }
}
