using System;
using System.Globalization;
using System.Linq;
using Microsoft.ML.Compression;
using Microsoft.ML.Compression.Estimators;
using Microsoft.ML.Compression.Pruning;
using Microsoft.ML.Compression.Zoo;

namespace Benchmarks;

/// <summary>
/// SCOP against L1-norm filter pruning and Network Slimming at the same rate, from the same trained ResNet-20, with
/// residual widths kept for all three (SCOP's setting) and the same total training epochs after the fp32 model, and
/// SCOP at 45% with the stage widths pruned too (<c>scop45-coupled</c>, <c>--coupled 0</c> skips it).
/// </summary>
internal static class ScopExperiments
{
    /// <summary>scop-fashion-resnet20: SCOP at 45% and 30%, L1-norm and slimming at 45%.</summary>
    public static void FashionResNet20(ExperimentContext x)
    {
        x.UseFashionMnist();
        var c = x.Ml.Transforms.Compression;
        var fp32 = x.Run("fp32", c.Train(NetworkZoo.ResNet20(), new NetworkTrainer.Options { Epochs = x.Option("epochs", 3), LearningRate = 0.1 }));
        int control = x.Option("control-epochs", 1), fineTune = x.Option("finetune-epochs", 2), multiple = x.Option("channel-multiple", new ScopPruner.Options().ChannelMultiple);
        double lr = x.OptionDouble("lr", 0.01);
        var residual = ResidualPruning.KeepWidth;
        x.Summary("epochs_scop_control_plus_finetune", $"{control}+{fineTune}");
        x.Summary("epochs_l1_finetune", control + fineTune);
        x.Summary("epochs_slimming_sparsity_plus_finetune", $"{control}+{fineTune}");
        x.Summary("residual_pruning", residual.ToString());
        x.Summary("channel_multiple", multiple);

        ModelResult Scop(double rate, ResidualPruning scopResidual, string suffix = "") => x.Run("scop" + Percent(rate) + suffix, c.Scop(fp32.Model, new ScopPruner.Options
        {
            PruneRate = rate, ControlEpochs = control, Epochs = fineTune, LearningRate = lr, Residual = scopResidual, ChannelMultiple = multiple,
        }));
        var scop45 = Scop(0.45, residual);
        // --baselines 0 skips L1-norm and slimming at the same rate (to measure SCOP alone in less time).
        bool baselines = x.Option("baselines", 1) == 1;
        var l1 = !baselines ? null : x.Run("l1-45", c.L1NormPruning(fp32.Model, new L1NormPruner.Options
        {
            PruneRate = 0.45, Epochs = control + fineTune, LearningRate = lr, Residual = residual, ChannelMultiple = multiple,
        }));
        var slim = !baselines ? null : x.Run("slim45", c.NetworkSlimming(fp32.Model, new NetworkSlimming.Options
        {
            PruneRate = 0.45, SparsityEpochs = control, Epochs = fineTune, LearningRate = lr, Residual = residual, ChannelMultiple = multiple,
            Sparsity = x.OptionDouble("s", 1e-4),
        }));
        var scop30 = x.Option("scop30", 1) == 1 ? Scop(0.3, residual) : null;
        // The stage widths too (residual channels pruned together across each stage): what pays in latency.
        var coupled = x.Option("coupled", 1) == 1 ? Scop(0.45, ResidualPruning.Coupled, "-coupled") : null;
        Console.WriteLine(scop45.Model.Pruning);

        foreach (var m in new[] { scop45, l1, slim, scop30, coupled }.Where(m => m is not null).Select(m => m!))
            PruningExperiments.Summarize(x, fp32, m.Name, m);
        if (l1 is not null) x.Summary("scop45_minus_l1_45_points", Math.Round((scop45.Accuracy - l1.Accuracy) * 100, 2));
        if (slim is not null) x.Summary("scop45_minus_slim45_points", Math.Round((scop45.Accuracy - slim.Accuracy) * 100, 2));
        x.Summary("scop45_score_notes", string.Join(" | ", scop45.Model.Pruning!.Notes.Where(n => n.Contains("scores:", StringComparison.Ordinal))));
    }

    private static string Percent(double rate) => (rate * 100).ToString("0", CultureInfo.InvariantCulture);
}
