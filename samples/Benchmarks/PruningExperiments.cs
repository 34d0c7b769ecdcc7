using System;
using System.Globalization;
using System.Linq;
using Microsoft.ML.Compression;
using Microsoft.ML.Compression.Estimators;
using Microsoft.ML.Compression.Pruning;
using Microsoft.ML.Compression.Zoo;

namespace Benchmarks;

/// <summary>
/// Network Slimming against L1-norm filter pruning at the same rates, from the same trained fp32 model. L1 fine-tunes
/// for as many epochs as slimming trains in total (sparsity + fine-tuning), so neither gets more training.
/// </summary>
internal static class PruningExperiments
{
    /// <summary>slim-fashion-vgg: VGG-style network, 50% and 70% of channels.</summary>
    public static void FashionVgg(ExperimentContext x)
    {
        x.UseFashionMnist();
        var c = x.Ml.Transforms.Compression;
        var fp32 = x.Run("fp32", c.Train(NetworkZoo.Vgg(), new NetworkTrainer.Options { Epochs = x.Option("epochs", 3), LearningRate = 0.05 }));
        Compare(x, fp32, x.Text("rates", "0.5,0.7").Split(',').Select(r => double.Parse(r, CultureInfo.InvariantCulture)).ToArray(), ResidualPruning.Coupled, x.OptionDouble("s", 1e-3), x.Option("sparsity-epochs", 1));
    }

    /// <summary>slim-fashion-resnet20: ResNet-20, 40% of channels (residual stages pruned together by default).</summary>
    public static void FashionResNet20(ExperimentContext x)
    {
        x.UseFashionMnist();
        var c = x.Ml.Transforms.Compression;
        var fp32 = x.Run("fp32", c.Train(NetworkZoo.ResNet20(), new NetworkTrainer.Options { Epochs = x.Option("epochs", 3), LearningRate = 0.1 }));
        var residual = x.Option("keep-width", 0) == 1 ? ResidualPruning.KeepWidth : ResidualPruning.Coupled;
        Compare(x, fp32, new[] { 0.4 }, residual, x.OptionDouble("s", 1e-4), x.Option("sparsity-epochs", 1));
    }

    private static void Compare(ExperimentContext x, ModelResult fp32, double[] rates, ResidualPruning residual, double sparsity, int sparsityEpochs)
    {
        var c = x.Ml.Transforms.Compression;
        int multiple = x.Option("channel-multiple", new L1NormPruner.Options().ChannelMultiple); // the library default: ORT-friendly widths
        int fineTune = x.Option("finetune-epochs", 2);
        double lr = x.OptionDouble("lr", 0.01);
        x.Summary("sparsity_s", sparsity);
        x.Summary("residual_pruning", residual.ToString());
        x.Summary("channel_multiple", multiple);
        x.Summary("epochs_slimming_sparsity_plus_finetune", $"{sparsityEpochs}+{fineTune}");
        x.Summary("epochs_l1_finetune", sparsityEpochs + fineTune);
        foreach (double rate in rates)
        {
            string percent = (rate * 100).ToString("0", CultureInfo.InvariantCulture);
            var slim = x.Run("slim" + percent, c.NetworkSlimming(fp32.Model, new NetworkSlimming.Options
            {
                PruneRate = rate, Sparsity = sparsity, SparsityEpochs = sparsityEpochs, Epochs = fineTune, LearningRate = lr, Residual = residual, ChannelMultiple = multiple,
            }));
            var l1 = x.Run("l1-" + percent, c.L1NormPruning(fp32.Model, new L1NormPruner.Options
            {
                PruneRate = rate, Epochs = sparsityEpochs + fineTune, LearningRate = lr, Residual = residual, ChannelMultiple = multiple,
            }));
            Console.WriteLine(slim.Model.Pruning);
            Summarize(x, fp32, "slim" + percent, slim);
            Summarize(x, fp32, "l1_" + percent, l1);
            x.Summary($"slim{percent}_minus_l1_points", Math.Round((slim.Accuracy - l1.Accuracy) * 100, 2));
        }
    }

    /// <summary>A pruned model's figures in the results file: accuracy change, reductions, widths and (after latency) speed-up.</summary>
    internal static void Summarize(ExperimentContext x, ModelResult fp32, string name, ModelResult model)
    {
        var p = model.Model.Pruning!;
        x.Summary($"{name}_minus_fp32_points", Math.Round((model.Accuracy - fp32.Accuracy) * 100, 2));
        x.Summary($"{name}_params_reduction", Math.Round(p.ParameterReduction, 4));
        x.Summary($"{name}_macs_reduction", Math.Round(p.MacReduction, 4));
        x.Summary($"{name}_channel_reduction", Math.Round(p.ChannelReduction, 4));
        x.Summary($"{name}_onnx_bytes_before_after", new double[] { p.OnnxBytesBefore, p.OnnxBytesAfter });
        x.Summary($"{name}_conv_widths", string.Join(",", p.Layers.Where(l => l.Kind == "Conv2d").Select(l => $"{l.Name}:{l.Before}->{l.After}")));
        x.AfterLatency(() => x.Summary($"{name}_ort_speedup_vs_fp32", Math.Round(fp32.LatencyMs / model.LatencyMs, 3)));
    }
}
