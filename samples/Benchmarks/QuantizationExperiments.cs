using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Compression;
using Microsoft.ML.Compression.Estimators;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Zoo;

namespace Benchmarks;

/// <summary>SimQAT and post-training quantization against the fp32 model they start from.</summary>
internal static class QuantizationExperiments
{
    /// <summary>LeNet-5 on MNIST: fp32, PTQ int8, QAT int8.</summary>
    public static void MnistLeNet(ExperimentContext x)
    {
        x.UseMnist();
        Compare(x, NetworkZoo.LeNet5(), fp32Epochs: x.Option("epochs", 10), fp32LearningRate: 0.05, qatEpochs: x.Option("finetune-epochs", 3), qatLearningRate: 0.005,
            floatFirstLayer: "conv1");
    }

    /// <summary>ResNet-20 (16-32-64 channels) on Fashion-MNIST: fp32, PTQ int8, QAT int8.</summary>
    public static void FashionResNet20(ExperimentContext x)
    {
        x.UseFashionMnist();
        Compare(x, NetworkZoo.ResNet20(), fp32Epochs: x.Option("epochs", 5), fp32LearningRate: 0.1, qatEpochs: x.Option("finetune-epochs", 2), qatLearningRate: 0.01);
    }

    private static void Compare(ExperimentContext x, NetworkGraph network, int fp32Epochs, double fp32LearningRate, int qatEpochs, double qatLearningRate,
        string? floatFirstLayer = null)
    {
        var c = x.Ml.Transforms.Compression;
        var fp32 = x.Run("fp32", c.Train(network, new NetworkTrainer.Options { Epochs = fp32Epochs, LearningRate = fp32LearningRate }));
        var ptq = x.Run("ptq", c.PostTrainingQuantization(fp32.Model, new PostTrainingQuantizer.Options { CalibrationSamples = 512 }));
        if (floatFirstLayer is not null) // ONNX Runtime's int8 convolution is slow on a single input channel: show the mixed model too
            x.Run("ptq-float-" + floatFirstLayer, c.PostTrainingQuantization(fp32.Model,
                new PostTrainingQuantizer.Options { CalibrationSamples = 512, KeepFloatLayers = new[] { floatFirstLayer } }));
        var qat = x.Run("qat", c.QuantizeAwareTraining(fp32.Model, new QuantizeAwareTrainer.Options { Epochs = qatEpochs, LearningRate = qatLearningRate }));

        x.Summary("qat_minus_fp32_points", Math.Round((qat.Accuracy - fp32.Accuracy) * 100, 2));
        x.Summary("ptq_minus_fp32_points", Math.Round((ptq.Accuracy - fp32.Accuracy) * 100, 2));
        x.Summary("qat_minus_ptq_points", Math.Round((qat.Accuracy - ptq.Accuracy) * 100, 2));
        x.Summary("int8_onnx_bytes_ratio", Math.Round((double)qat.OnnxBytes / fp32.OnnxBytes, 4));
        x.Summary("qat_epoch_seconds_ratio_of_runs", Math.Round(qat.SecondsPerEpoch!.Value / fp32.SecondsPerEpoch!.Value, 3));
        x.Summary("qat_epoch_seconds_ratio_interleaved", x.InterleavedEpochRatio("qat",
            () => c.Train(fp32.Model.Network, new NetworkTrainer.Options { Epochs = 1, LearningRate = qatLearningRate }),
            () => c.QuantizeAwareTraining(fp32.Model, new QuantizeAwareTrainer.Options { Epochs = 1, LearningRate = qatLearningRate })));
        x.AfterLatency(() =>
        {
            x.Summary("int8_speedup_qat", Math.Round(fp32.LatencyMs / qat.LatencyMs, 2));
            x.Summary("int8_speedup_ptq", Math.Round(fp32.LatencyMs / ptq.LatencyMs, 2));
        });
    }
}
