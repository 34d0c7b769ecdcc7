using System;
using Microsoft.ML.Compression.Datasets;
using Microsoft.ML.Compression.Estimators;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Training;
using Microsoft.ML.Compression.Zoo;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;

namespace Microsoft.ML.Compression.Tests;

/// <summary>
/// The data and trained starting points the test classes share, each made once per test run: MNIST subsets for the
/// estimators, briefly trained float networks, and an estimator-trained LeNet-5 with BatchNorm (the teacher and the
/// start of plans).
/// </summary>
[TestClass]
public static class TestModels
{
    /// <summary>Training rows of the estimator tests.</summary>
    public const int TrainRows = 2000;

    /// <summary>Test rows of the estimator tests.</summary>
    public const int TestRows = 1000;

    private static readonly Lazy<NetworkGraph> TrainedLeNet = new(() => TrainFloat(NetworkZoo.LeNet5(), rows: 6000, epochs: 3));
    private static readonly Lazy<NetworkGraph> TrainedLeNetBn = new(() => TrainFloat(NetworkZoo.LeNet5(batchNorm: true), rows: 2000, epochs: 2));
    private static readonly Lazy<NetworkGraph> TrainedResNet = new(() => TrainFloat(NetworkZoo.ResNet20(), rows: 1000, epochs: 1));
    private static readonly Lazy<MLContext> Context = new(() => new MLContext(seed: 0));
    private static readonly Lazy<IDataView> TrainData = new(() => TestData.Mnist(Ml, MnistSplit.Train, TrainRows));
    private static readonly Lazy<IDataView> TestDataView = new(() => TestData.Mnist(Ml, MnistSplit.Test, TestRows));
    private static readonly Lazy<CompressedModelTransformer> TrainedTeacher =
        new(() => Compression.Train(NetworkZoo.LeNet5(batchNorm: true), epochs: 5).Fit(Train));

    /// <summary>LeNet-5 trained on 6,000 MNIST rows for 3 epochs (about 97%).</summary>
    public static NetworkGraph LeNet => TrainedLeNet.Value;

    /// <summary>LeNet-5 with BatchNorm trained on 2,000 MNIST rows for 2 epochs.</summary>
    public static NetworkGraph LeNetWithBatchNorm => TrainedLeNetBn.Value;

    /// <summary>ResNet-20 trained on 1,000 MNIST rows for 1 epoch.</summary>
    public static NetworkGraph ResNet20 => TrainedResNet.Value;

    /// <summary>The MLContext (seed 0) of the shared data and of evaluation.</summary>
    public static MLContext Ml => Context.Value;

    /// <summary>
    /// The compression estimators of a new MLContext with seed 0. A Fit draws its seed from its MLContext, and every
    /// host registered before it advances that context's generator, so tests fit with a fresh context each to stay
    /// independent of the order they run in.
    /// </summary>
    public static CompressionCatalog Compression => new MLContext(seed: 0).Transforms.Compression;

    /// <summary>The first <see cref="TrainRows"/> MNIST training rows.</summary>
    public static IDataView Train => TrainData.Value;

    /// <summary>The first <see cref="TestRows"/> MNIST test rows.</summary>
    public static IDataView Test => TestDataView.Value;

    /// <summary>LeNet-5 with BatchNorm trained by the Train estimator on <see cref="Train"/> for 5 epochs.</summary>
    public static CompressedModelTransformer Teacher => TrainedTeacher.Value;

    /// <summary>Top-1 accuracy of a fitted model on <see cref="Test"/>, as ML.NET evaluates it.</summary>
    public static double Accuracy(ITransformer model) => Ml.MulticlassClassification.Evaluate(model.Transform(Test)).MicroAccuracy;

    /// <summary>Top-1 accuracy of a float network on <see cref="Test"/>, computed in TorchSharp (independently of ONNX Runtime and ML.NET).</summary>
    public static double Accuracy(NetworkGraph network)
    {
        LabeledDataset test = LabeledDataset.Read(Test, "Features", "Label", network.InputSize, network.ClassCount);
        using var module = new GraphModule(network);
        return TrainingLoop.Evaluate(module, test).Accuracy;
    }

    private static NetworkGraph TrainFloat(NetworkGraph net, int rows, int epochs)
    {
        LabeledDataset train = TestData.MnistArrays(MnistSplit.Train, rows);
        torch.random.manual_seed(0);
        using var module = new GraphModule(net);
        new TrainingLoop(new TrainingOptions { Epochs = epochs, BatchSize = 64 }).Run(module, train);
        return module.ToGraph();
    }

    [AssemblyCleanup]
    public static void DisposeShared()
    {
        if (TrainedTeacher.IsValueCreated) TrainedTeacher.Value.Dispose();
    }
}
