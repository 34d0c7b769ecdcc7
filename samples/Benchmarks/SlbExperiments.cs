using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Compression;
using Microsoft.ML.Compression.Estimators;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Training;
using Microsoft.ML.Compression.Zoo;

namespace Benchmarks;

/// <summary>SLB at 4, 2 and 1 bits against round-to-nearest PTQ and STE QAT at the same bit widths.</summary>
internal static class SlbExperiments
{
    /// <summary>LeNet-5 with BatchNorm on MNIST: W4, W2, W1 and W1A8, each with its two baselines.</summary>
    public static void MnistLeNet(ExperimentContext x)
    {
        x.UseMnist();
        var c = x.Ml.Transforms.Compression;
        var fp32 = x.Run("fp32", c.Train(NetworkZoo.LeNet5(batchNorm: true), new NetworkTrainer.Options { Epochs = x.Option("epochs", 10), LearningRate = 0.05 }));
        var settings = new Settings(x.Option("finetune-epochs", 10), x.OptionDouble("t-factor", 3), x.OptionDouble("lr", 0.001));
        var variants = x.Bits(new[] { 4, 2, 1 }).Select(b => (b, false)).ToList();
        if (x.Option("a8", 1) == 1) variants.Add((1, true));
        Compare(x, fp32, variants, settings);
    }

    /// <summary>ResNet-20 on Fashion-MNIST: W4, W2 and W1, each with its two baselines.</summary>
    public static void FashionResNet20(ExperimentContext x)
    {
        x.UseFashionMnist();
        var c = x.Ml.Transforms.Compression;
        var fp32 = x.Run("fp32", c.Train(NetworkZoo.ResNet20(), new NetworkTrainer.Options { Epochs = x.Option("epochs", 3), LearningRate = 0.1 }));
        var settings = new Settings(x.Option("finetune-epochs", 1), x.OptionDouble("t-factor", 3000), x.OptionDouble("lr", 0.001));
        Compare(x, fp32, x.Bits(new[] { 4, 2, 1 }).Select(b => (b, false)).ToList(), settings);
    }

    /// <summary>Fine-tuning settings shared by SLB and the STE baseline (same epochs, optimizer and learning rate).</summary>
    private sealed record Settings(int Epochs, double TemperatureFactor, double LearningRate);

    private static void Compare(ExperimentContext x, ModelResult fp32, List<(int Bits, bool A8)> variants, Settings settings)
    {
        var c = x.Ml.Transforms.Compression;
        foreach (var (bits, a8) in variants)
        {
            string name = $"w{bits}" + (a8 ? "a8" : "");
            int activationBits = a8 ? 8 : 32;
            var rtn = x.Run("rtn-" + name, c.PostTrainingQuantization(fp32.Model, new PostTrainingQuantizer.Options { WeightBits = bits, ActivationBits = activationBits }));
            var ste = x.Run("ste-" + name, c.QuantizeAwareTraining(fp32.Model, new QuantizeAwareTrainer.Options
            {
                WeightBits = bits, ActivationBits = activationBits, Epochs = settings.Epochs,
                Optimizer = OptimizerKind.Adam, LearningRate = settings.LearningRate, WeightDecay = 0,
            }));
            var slb = x.Run(name, c.Slb(fp32.Model, new SlbQuantizer.Options
            {
                WeightBits = bits, QuantizeActivations = a8, Epochs = settings.Epochs, TemperatureFactor = settings.TemperatureFactor,
                LearningRate = settings.LearningRate,
            }));
            x.Summary($"{name}_minus_fp32_points", Math.Round((slb.Accuracy - fp32.Accuracy) * 100, 2));
            x.Summary($"{name}_minus_rtn_points", Math.Round((slb.Accuracy - rtn.Accuracy) * 100, 2));
            x.Summary($"{name}_minus_ste_points", Math.Round((slb.Accuracy - ste.Accuracy) * 100, 2));
            x.Summary($"{name}_quantized_weight_ratio", Math.Round(slb.Model.Report.QuantizedWeightRatio, 4));
            x.Summary($"{name}_quantized_weight_fp32_over_stored", Math.Round(1 / slb.Model.Report.QuantizedWeightRatio, 2));
            x.Summary($"{name}_epoch_seconds_ratio_to_fp32", Math.Round(slb.SecondsPerEpoch!.Value / fp32.SecondsPerEpoch!.Value, 3));
            if (bits == 2 && !a8 && x.Option("interleaved", 1) == 1)
                x.Summary("w2_epoch_seconds_ratio_interleaved", x.InterleavedEpochRatio("slb_w2",
                    () => c.Train(fp32.Model.Network, new NetworkTrainer.Options { Epochs = 1, Optimizer = OptimizerKind.Adam, LearningRate = settings.LearningRate, WeightDecay = 0 }),
                    () => c.Slb(fp32.Model, new SlbQuantizer.Options { WeightBits = 2, Epochs = 1, TemperatureFactor = settings.TemperatureFactor, LearningRate = settings.LearningRate })));
        }
    }
}
