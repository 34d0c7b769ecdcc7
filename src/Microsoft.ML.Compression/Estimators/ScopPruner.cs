using System.Globalization;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Pruning;
using Microsoft.ML.Compression.Pruning.Scop;
using Microsoft.ML.Compression.Training;
using Microsoft.ML.SearchSpace;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Estimators;

/// <summary>
/// SCOP (Tang et al., 2020): pruning by scientific control. Each prunable convolution's output channels get control
/// coefficients beta that mix the real features with those of knockoff inputs; with the weights frozen only beta
/// trains, so a channel whose beta stays high is one the network needs. Channels are scored |gamma_BN| x (2 beta - 1),
/// the lowest <see cref="PruningOptions.PruneRate"/> of every layer are removed physically, and the smaller network
/// is fine-tuned.
/// </summary>
/// <remarks>
/// Knockoffs default to second-order model-X knockoffs of the input features (<see cref="GaussianKnockoffs"/>);
/// <see cref="KnockoffKind.ShuffledBatch"/> uses Golden Stick's shuffled batch instead. Residual widths are kept by
/// default (<see cref="ResidualPruning.KeepWidth"/>: channels inside blocks are pruned), as in the paper. Fine-tuning
/// runs on the physically smaller network, which equals fine-tuning with masks and is faster. With
/// <see cref="TrainingOptions.CheckpointDirectory"/> the control phase checkpoints into <c>1-control</c> and fine-tuning
/// into <c>2-finetune</c>. With <see cref="TrainingOptions.ReturnPartialModelOnCancel"/>, a Fit cancelled during the
/// control phase (after at least one epoch) returns the network pruned by that epoch's betas, not fine-tuned; one
/// cancelled during fine-tuning returns the fine-tuned network of the last completed epoch.
/// </remarks>
public sealed class ScopPruner : PruningEstimator<ScopPruner.Options>
{
    /// <summary>Options of <see cref="ScopPruner"/>.</summary>
    public sealed class Options : PruningOptions
    {
        /// <summary>Creates options with SCOP's defaults: 45% of every layer, residual widths kept.</summary>
        public Options()
        {
            PruneRate = 0.45;
            Residual = ResidualPruning.KeepWidth;
        }

        /// <summary>Where the knockoff inputs come from. Default <see cref="KnockoffKind.Gaussian"/>.</summary>
        [Choice(new object[] { KnockoffKind.Gaussian, KnockoffKind.ShuffledBatch }, KnockoffKind.Gaussian)]
        public KnockoffKind Knockoffs { get; set; } = KnockoffKind.Gaussian;

        /// <summary>Shrinkage of the covariance toward its diagonal for Gaussian knockoffs (larger: knockoffs further from the data). Default 0.1.</summary>
        [Range(0.01, 0.5, 0.1, false)]
        public double KnockoffShrinkage { get; set; } = 0.1;

        /// <summary>
        /// Training rows the Gaussian knockoffs are fitted to. Default 10,000. Fitting takes on the order of
        /// features x rows x min(features, rows) operations (large images: fewer rows fit much faster).
        /// </summary>
        [Range(100, 60000, 10000, true)]
        public int KnockoffRows { get; set; } = 10_000;

        /// <summary>Epochs that train the control coefficients (weights frozen). Default 1.</summary>
        [Range(1, 50, 1, false)]
        public int ControlEpochs { get; set; } = 1;

        /// <summary>Adam learning rate of the control coefficients. Default 0.01.</summary>
        [Range(1e-4, 0.1, 0.01, true)]
        public double ControlLearningRate { get; set; } = 0.01;

        /// <inheritdoc />
        public override void Validate()
        {
            base.Validate();
            if (!Enum.IsDefined(Knockoffs)) throw new ArgumentOutOfRangeException(nameof(Knockoffs), Knockoffs, "Unknown knockoff kind.");
            if (!(KnockoffShrinkage > 0 && KnockoffShrinkage < 1))
                throw new ArgumentOutOfRangeException(nameof(KnockoffShrinkage), KnockoffShrinkage, "KnockoffShrinkage must be in (0, 1).");
            if (KnockoffRows < 2) throw new ArgumentOutOfRangeException(nameof(KnockoffRows), KnockoffRows, "KnockoffRows must be at least 2.");
            if (ControlEpochs < 1) throw new ArgumentOutOfRangeException(nameof(ControlEpochs), ControlEpochs, "ControlEpochs must be at least 1.");
            if (!(ControlLearningRate > 0) || double.IsInfinity(ControlLearningRate))
                throw new ArgumentOutOfRangeException(nameof(ControlLearningRate), ControlLearningRate, "ControlLearningRate must be a positive number.");
        }
    }

    internal ScopPruner(CompressionCatalog catalog, StartingPoint startFrom, Options options)
        : base(catalog, startFrom, options, "Scop")
    {
        CheckPerLayerRate();
    }

    private protected override string Method => $"scop{RateTag}";

    private protected override NetworkGraph Prune(FitContext context)
    {
        context.Note($"SCOP of {Network.Name}: {Settings.Knockoffs} knockoffs, {Settings.ControlEpochs} control epochs, remove {Amount("channels")}, then {Settings.Epochs} fine-tuning epochs.");
        ChannelDependencies deps = Analyze(context, Network, noteSkipped: true);
        string[] controlled = deps.Channels.SelectMany(c => c.Filters).Select(f => f.Layer).Distinct()
            .Where(l => Network[l] is Conv2dLayer { Groups: 1 }).ToArray();
        // The knockoffs are fitted only when the control phase trains (a sweep reuses it), outside any batch's dispose scope.
        Func<Tensor, Tensor>? knockoffs = null;

        var beta = new Dictionary<string, float[]>();
        using (var module = new GraphModule(Network))
        {
            var control = new ScopControl(module, controlled, x => knockoffs!(x),
                string.Create(CultureInfo.InvariantCulture, $"{Settings.Knockoffs}|{Settings.KnockoffShrinkage:R}|{Settings.KnockoffRows}"));
            // Only beta trains here, so the teacher (if any) guides fine-tuning, not this phase; the betas do not
            // depend on the rate either, so a sweep over rates trains them once.
            var settings = context.Settings.WithOptimizer(Settings.ControlEpochs, OptimizerKind.Adam, Settings.ControlLearningRate);
            beta = context.Reuse("Control coefficients", Network, settings, distill: false, new[] { control }, () =>
            {
                knockoffs = KnockoffSource(context.Train, Network.InputSize);
                context.Run(module, "Control coefficients", settings, distill: false, checkpointFolder: ControlFolder, hooks: control);
                return controlled.ToDictionary(layer => layer, control.Beta, StringComparer.Ordinal);
            });
        }

        var scores = ChannelImportance.ScientificControl(deps, beta);
        NoteScores(context, deps, scores);
        return RemovePerLayerAndFineTune(context, deps, scores, "Lowest |gamma| (2 beta - 1) of each layer", FineTuneFolder);
    }

    // The two training phases keep their checkpoints apart; the selection between them is recomputed from the
    // control phase's final betas, so a resume that finds that phase complete prunes exactly as the first run did.
    internal const string ControlFolder = "1-control", FineTuneFolder = "2-finetune";

    private Func<Tensor, Tensor> KnockoffSource(LabeledDataset train, int featureSize)
    {
        if (Settings.Knockoffs == KnockoffKind.ShuffledBatch)
            return x => x.index_select(0, torch.randperm(x.shape[0]));
        int rows = Math.Min(Settings.KnockoffRows, train.Count);
        var gaussian = GaussianKnockoffs.Fit(train.ReadRows(0, rows), rows, featureSize, Settings.KnockoffShrinkage);
        return gaussian.Sample;
    }

    // The score distribution per layer, for the report: quartiles and how many channels preferred their knockoff.
    private static void NoteScores(FitContext context, ChannelDependencies deps, IReadOnlyDictionary<int, double> scores)
    {
        var inv = CultureInfo.InvariantCulture;
        foreach (ChannelGroup group in deps.Groups)
        {
            double[] s = group.Channels.Where(c => scores.ContainsKey(c.Id)).Select(c => scores[c.Id]).Order().ToArray();
            if (s.Length == 0) continue;
            context.Note(string.Create(inv, $"{group.Name} scores: min {s[0]:F3}, quartiles {s[s.Length / 4]:F3} / {s[s.Length / 2]:F3} / {s[3 * s.Length / 4]:F3}, max {s[^1]:F3}; {s.Count(v => v < 0)} of {s.Length} below 0 (beta < 0.5)"));
        }
    }
}
