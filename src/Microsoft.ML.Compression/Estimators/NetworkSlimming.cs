using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Pruning;
using Microsoft.ML.Compression.Pruning.Slimming;
using Microsoft.ML.SearchSpace;

namespace Microsoft.ML.Compression.Estimators;

/// <summary>
/// Network Slimming (Liu et al., 2017): sparsity training pushes BatchNorm scaling factors (gamma) of unimportant
/// channels toward zero, a global threshold over all prunable BatchNorms picks the channels with the smallest |gamma|,
/// those channels are removed physically (filters, BatchNorm channels and the next layers' inputs), and the smaller
/// network is fine-tuned. Several rounds make it iterative.
/// </summary>
/// <remarks>
/// Residual networks are handled by the pruning engine (<see cref="ChannelDependencies"/>): with
/// <see cref="ResidualPruning.Coupled"/> a residual channel goes only when every BatchNorm along the stage would drop it
/// (its score is the largest |gamma|); with <see cref="ResidualPruning.KeepWidth"/> residual widths stay. Fine-tuning
/// runs on the physically smaller network, which equals fine-tuning with masks (masked channels get no gradient) and
/// is faster. The fitted model's <see cref="CompressedModelTransformer.Pruning"/> lists each layer's width before and after.
/// With <see cref="Training.TrainingOptions.CheckpointDirectory"/> round r's sparsity training checkpoints into
/// <c>(2r-1)-sparsity</c> and its fine-tuning into <c>2r-finetune</c>. With
/// <see cref="Training.TrainingOptions.ReturnPartialModelOnCancel"/>, a Fit cancelled during sparsity training (after at
/// least one epoch) returns the network pruned by that epoch's gammas, not fine-tuned; one cancelled during fine-tuning
/// returns the fine-tuned network of the last completed epoch; later rounds are skipped either way.
/// </remarks>
public sealed class NetworkSlimming : PruningEstimator<NetworkSlimming.Options>
{
    /// <summary>Options of <see cref="NetworkSlimming"/>.</summary>
    public sealed class Options : PruningOptions
    {
        /// <summary>
        /// s, the strength of the L1 penalty on BatchNorm gamma during sparsity training. Default 1e-4 (the paper's
        /// for VGG; it uses 1e-5 for ResNet and DenseNet). Short fine-tuning runs need a larger s for gamma to move.
        /// </summary>
        [Range(1e-6, 1e-1, 1e-4, true)]
        public double Sparsity { get; set; } = 1e-4;

        /// <summary>Epochs of sparsity training before each removal (0: prune the given model's gammas as they are). Default 3.</summary>
        [Range(0, 200, 3, false)]
        public int SparsityEpochs { get; set; } = 3;

        /// <summary>Fewest output channels any layer (or coupled residual stage) keeps. Default 1.</summary>
        [Range(1, 64, 1, true)]
        public int MinimumChannels { get; set; } = 1;

        /// <summary>
        /// Rounds of sparsity training, removal and fine-tuning (iterative slimming). Each round removes the same
        /// fraction of the channels left, so that together they remove <see cref="PruningOptions.PruneRate"/>. Default 1.
        /// </summary>
        [Range(1, 10, 1, false)]
        public int Rounds { get; set; } = 1;

        /// <inheritdoc />
        public override void Validate()
        {
            base.Validate();
            if (!(Sparsity >= 0) || double.IsInfinity(Sparsity))
                throw new ArgumentOutOfRangeException(nameof(Sparsity), Sparsity, "Sparsity (s) must be a finite number >= 0.");
            if (SparsityEpochs < 0)
                throw new ArgumentOutOfRangeException(nameof(SparsityEpochs), SparsityEpochs, "SparsityEpochs must be >= 0.");
            if (MinimumChannels < 1)
                throw new ArgumentOutOfRangeException(nameof(MinimumChannels), MinimumChannels, "MinimumChannels must be at least 1 (a layer is never emptied).");
            if (Rounds < 1)
                throw new ArgumentOutOfRangeException(nameof(Rounds), Rounds, "Rounds must be at least 1.");
        }
    }

    internal NetworkSlimming(CompressionCatalog catalog, StartingPoint startFrom, Options options)
        : base(catalog, startFrom, options, "NetworkSlimming")
    {
        if (options.LayerPruneRates.Count > 0)
            throw new ArgumentException("Network Slimming removes the channels under one global threshold, so it has no per-layer rates; use L1NormPruning or Scop with LayerPruneRates.", nameof(options.LayerPruneRates));
        var deps = options.Dependencies(Network); // fail before Fit
        if (!deps.Channels.Any(c => c.BatchNorms.Count > 0))
            throw new ArgumentException(
                $"Network Slimming ranks channels by BatchNorm scaling factors, but no prunable channel of network '{Network.Name}' is followed by a BatchNorm2d; use a network with BatchNorm (e.g. NetworkZoo.LeNet5(batchNorm: true)) or L1NormPruning.",
                nameof(startFrom));
    }

    private protected override string Method => $"slim{RateTag}";

    private protected override NetworkGraph Prune(FitContext context)
    {
        string amount = Settings.Target is { } target ? $"keep {target}" : $"remove {Settings.PruneRate:P0} of channels";
        context.Note($"Network Slimming of {Network.Name}: {amount} in {Settings.Rounds} round(s), s = {Settings.Sparsity}, {Settings.SparsityEpochs} sparsity + {Settings.Epochs} fine-tuning epochs per round.");
        double roundRate = 1 - Math.Pow(1 - Settings.PruneRate, 1.0 / Settings.Rounds);
        NetworkGraph graph = Network;
        // A round after a cancelled one (ReturnPartialModelOnCancel) would prune again without training.
        for (int round = 1; round <= Settings.Rounds && context.PartialModel is null; round++)
        {
            ChannelDependencies deps = Analyze(context, graph, noteSkipped: round == 1);
            var sparsity = new BatchNormSparsity(BatchNormSparsity.PrunableBatchNorms(deps), Settings.Sparsity);
            // Sparsity training reads neither the rate nor the fine-tuning epochs: a sweep over them trains it once.
            NetworkGraph start = graph;
            graph = Settings.SparsityEpochs == 0 ? start : context.Reuse($"Round {round}: sparsity training", start, context.Settings.WithEpochs(Settings.SparsityEpochs), distill: true, new[] { sparsity },
                () => context.TrainNetwork(start, $"Round {round}: sparsity training", Settings.SparsityEpochs, SparsityFolder(round), hooks: sparsity));
            deps = Analyze(context, graph, noteSkipped: false);
            var scores = ChannelImportance.BatchNormScale(deps);
            if (round == 1 && scores.Count < deps.Channels.Count)
                context.Note($"{deps.Channels.Count - scores.Count} prunable channels have no BatchNorm and are kept.");
            var removed = Select(context, deps, scores, roundRate, round);
            double threshold = removed.Count == 0 ? 0 : removed.Max(id => scores[id]);
            graph = Remove(context, deps, removed, $"Round {round}: |gamma| <= {threshold:G4}");
            graph = context.TrainNetwork(graph, $"Round {round}: fine-tuning", checkpointFolder: FineTuneFolder(round), startIsModel: true);
        }
        return graph;
    }

    // The round's global threshold, widths rounded to the channel multiple. With a target, round r of R keeps
    // target^(r/R) of the start network's MACs or parameters, so that the last round lands on the target.
    private HashSet<int> Select(FitContext context, ChannelDependencies deps, IReadOnlyDictionary<int, double> scores, double roundRate, int round)
    {
        if (Settings.Target is not { } target)
            return ChannelSelection.RoundKept(deps, ChannelSelection.GlobalThreshold(deps, scores, roundRate, Settings.MinimumChannels), scores, Settings.Multiple, Settings.MinimumChannels);
        PruningTarget.Budget goal = target.Pow((double)round / Settings.Rounds);
        // The fractions are of the start network; this round analyses the network the earlier rounds left.
        var relative = new PruningTarget.Budget(
            goal.Macs is { } m ? Math.Min(1, m * Network.Macs / deps.Graph.Macs) : null,
            goal.Parameters is { } p ? Math.Min(1, p * Network.ParameterCount / deps.Graph.ParameterCount) : null);
        PruningTarget.Result found = PruningTarget.Global(deps, scores, relative, Settings.Multiple, Settings.MinimumChannels);
        string left = $"{found.Macs:N0} MACs and {found.Parameters:N0} parameters";
        context.Note(found.Reached
            ? $"Round {round}: rate {found.Rate:0.###} leaves {left} (target: {goal} of the start network)."
            : $"Round {round}: the target ({goal} of the start network) is out of reach; the highest rate ({found.Rate:0.###}) leaves {left}.");
        return found.Removed;
    }

    // Each training phase keeps its checkpoints in its own folder (1-sparsity, 2-finetune, 3-sparsity, ...); the
    // threshold and removal between them are recomputed from the loaded weights.
    internal static string SparsityFolder(int round) => $"{2 * round - 1}-sparsity";

    internal static string FineTuneFolder(int round) => $"{2 * round}-finetune";
}
