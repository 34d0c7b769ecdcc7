using System;
using System.IO;
using System.Linq;
using Microsoft.ML.Compression.Datasets;
using Microsoft.ML.Compression.Estimators;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Quantization;
using Microsoft.ML.Compression.Tests.Quantization;
using Microsoft.ML.Compression.Training;
using Microsoft.ML.Compression.Zoo;
using Microsoft.ML.Data;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;

namespace Microsoft.ML.Compression.Tests.Estimators;

/// <summary>QuantizeAwareTraining and PostTrainingQuantization as ML.NET estimators.</summary>
[TestClass]
public class QuantizationEstimatorTests
{
    private static MLContext _ml = null!;
    private static IDataView _train = null!;
    private static IDataView _test = null!;
    private static CompressedModelTransformer _qat = null!;

    [ClassInitialize]
    public static void QuantizeOnce(TestContext context)
    {
        _ml = new MLContext(seed: 0);
        _train = TestData.Mnist(_ml, MnistSplit.Train, 2000);
        _test = TestData.Mnist(_ml, MnistSplit.Test, 1000);
        _qat = _ml.Transforms.Compression.QuantizeAwareTraining(QuantizedExportTests.LeNet, "Features", "Label",
            new QuantizeAwareTrainer.Options { Epochs = 2, LearningRate = 0.01 }).Fit(_train);
    }

    [ClassCleanup]
    public static void Cleanup() => _qat?.Dispose();

    private double Accuracy(ITransformer model) => _ml.MulticlassClassification.Evaluate(model.Transform(_test)).MicroAccuracy;

    [TestMethod]
    public void QuantizeAwareTrainingLearnsAndReportsInt8Layers()
    {
        var history = _qat.Report.History;
        Assert.AreEqual(2, history.Count);
        Assert.IsTrue(history[1].TrainLoss < history[0].TrainLoss, $"loss fell: {history[0].TrainLoss} -> {history[1].TrainLoss}");
        double accuracy = Accuracy(_qat);
        Assert.IsTrue(accuracy > 0.9, $"int8 accuracy {accuracy}");

        Assert.AreEqual("simqat-int8", _qat.Report.Method);
        Assert.IsTrue(_qat.Report.Layers.Where(l => l.Kind is "Conv2d" or "Linear").All(l => l.WeightBits == 8));
        Assert.IsTrue(_qat.Report.Layers.Where(l => l.Kind is "ReLU" or "MaxPool2d").All(l => l.WeightBits == 32));
        Assert.IsTrue(_qat.Report.OnnxRatio < 0.3, $"ONNX ratio {_qat.Report.OnnxRatio}");
        Assert.IsTrue(_qat.Report.ParameterBytes < _qat.Report.Parameters * 4 / 3, "weights are counted at one byte");
        StringAssert.Contains(_qat.Report.ToString(), "of fp32");
        Assert.IsNotNull(_qat.Quantized);
    }

    [TestMethod]
    public void QuantizeAwareTrainingSimulationMatchesOnnxRuntime() => QuantizedExportTests.AssertAgreement(_qat.Quantized!);

    [TestMethod]
    public void QuantizeAwareTrainingFoldsBatchNormAndFreezesIt()
    {
        NetworkGraph trained = QuantizedExportTests.LeNetWithBatchNorm;
        using var model = new QuantizationAwareModel(trained, null, "KeepFloatLayers", RangeTracking.MinMax, 0.999, foldBatchNorm: true, bits: 8);
        var schedule = new QuantizationSchedule(model, quantDelay: 3, freezeBatchNormAfter: 5);
        var conv = (FakeQuantConv)model.Module.ModuleOf("conv1")!;
        var relu = (ActivationQuantizer)model.Module.OutputModuleOf("relu1")!;
        Assert.IsNotNull(model.Module.OutputModuleOf("input"));

        schedule.OnTrainingStart(model.Module);
        Assert.IsFalse(conv.Quantizing || relu.Quantizing, "quantization waits for the delay");
        schedule.AfterStep(model.Module, 1);
        Assert.IsFalse(conv.Quantizing);
        schedule.AfterStep(model.Module, 2);
        Assert.IsTrue(conv.Quantizing && relu.Quantizing, "on after 3 steps");
        Assert.IsFalse(conv.BatchNormFrozen);
        schedule.AfterStep(model.Module, 4);
        Assert.IsTrue(conv.BatchNormFrozen, "BN frozen after 5 steps");

        // Frozen: a training forward leaves the running statistics alone and computes the folded inference form.
        LabeledDataset batch = TestData.MnistArrays(MnistSplit.Train, 64);
        using var x = torch.tensor(batch.Features, new long[] { 64, 784 });
        model.Module.train();
        using (var _ = model.Module.call(x)) { }
        (NetworkGraph floatNet, QuantizedNetwork q) = model.Finish();
        CollectionAssert.AreEqual(trained["bn1"].Parameters["running_mean"].Data, floatNet["bn1"].Parameters["running_mean"].Data);
        Assert.IsFalse(q.Graph.Layers.OfType<BatchNorm2dLayer>().Any());
        Assert.IsTrue(q.Activations.ContainsKey("relu1") && q.Activations.ContainsKey("input"));
    }

    [TestMethod]
    public void PostTrainingQuantizationCalibratesWithoutTraining()
    {
        foreach (var method in new[] { CalibrationMethod.MinMax, CalibrationMethod.Percentile })
        {
            using var ptq = _ml.Transforms.Compression.PostTrainingQuantization(QuantizedExportTests.LeNet,
                new PostTrainingQuantizer.Options { CalibrationSamples = 256, Calibration = method }).Fit(_train);
            Assert.AreEqual("ptq-int8", ptq.Report.Method);
            Assert.AreEqual(0, ptq.Report.History.Count);
            double accuracy = Accuracy(ptq);
            Assert.IsTrue(accuracy > 0.9, $"{method}: int8 accuracy {accuracy}");
            CollectionAssert.AreEqual(QuantizedExportTests.LeNet["conv1"].Parameters["weight"].Data, ptq.Network["conv1"].Parameters["weight"].Data,
                "no training: the float weights are untouched");
        }
    }

    [TestMethod]
    public void QuantizedModelSavesAndLoadsThroughMLNet()
    {
        using var stream = new MemoryStream();
        _ml.Model.Save(_qat, _train.Schema, stream);
        stream.Position = 0;
        ITransformer loaded = _ml.Model.Load(stream, out _);
        float[][] before = Scores(_qat), after = Scores(loaded);
        for (int i = 0; i < before.Length; i++)
            CollectionAssert.AreEqual(before[i], after[i], $"row {i}");
    }

    [TestMethod]
    public void QuantizedModelIsAValidStartingPoint()
    {
        using var again = _ml.Transforms.Compression.PostTrainingQuantization(_qat, calibrationSamples: 128).Fit(_train);
        Assert.IsTrue(Accuracy(again) > 0.9);
    }

    [TestMethod]
    public void BadOptionsNameTheOption()
    {
        var c = _ml.Transforms.Compression;
        NetworkGraph lenet = QuantizedExportTests.LeNet;
        AssertOption("WeightBits", () => c.QuantizeAwareTraining(lenet, "Features", "Label", new QuantizeAwareTrainer.Options { WeightBits = 3 }));
        AssertOption("ActivationBits", () => c.QuantizeAwareTraining(lenet, "Features", "Label", new QuantizeAwareTrainer.Options { ActivationBits = 32 }));
        AssertOption("ActivationBits", () => c.QuantizeAwareTraining(lenet, "Features", "Label", new QuantizeAwareTrainer.Options { ActivationBits = 16 }));
        AssertOption("QuantDelay", () => c.QuantizeAwareTraining(lenet, "Features", "Label", new QuantizeAwareTrainer.Options { QuantDelay = -1 }));
        AssertOption("FreezeBatchNormAfter", () => c.QuantizeAwareTraining(lenet, "Features", "Label", new QuantizeAwareTrainer.Options { FreezeBatchNormAfter = -5 }));
        AssertOption("EmaDecay", () => c.QuantizeAwareTraining(lenet, "Features", "Label", new QuantizeAwareTrainer.Options { EmaDecay = 1.0 }));
        AssertOption("WeightBits", () => c.PostTrainingQuantization(lenet, new PostTrainingQuantizer.Options { WeightBits = 7 }));
        AssertOption("CalibrationSamples", () => c.PostTrainingQuantization(lenet, new PostTrainingQuantizer.Options { CalibrationSamples = 0 }));
        AssertOption("Percentile", () => c.PostTrainingQuantization(lenet, new PostTrainingQuantizer.Options { Percentile = 120 }));

        var unknown = Assert.ThrowsExactly<ArgumentException>(() =>
            c.QuantizeAwareTraining(lenet, "Features", "Label", new QuantizeAwareTrainer.Options { KeepFloatLayers = new[] { "conv7" } }));
        StringAssert.Contains(unknown.Message, "conv7");
        StringAssert.Contains(unknown.Message, "KeepFloatLayers");
        var untrained = Assert.ThrowsExactly<ArgumentException>(() => c.PostTrainingQuantization(NetworkZoo.LeNet5()));
        StringAssert.Contains(untrained.Message, "no trained weights");
        var noLabel = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            c.QuantizeAwareTraining(lenet, "Features", "Digit").GetOutputSchema(ModelFactory.ShapeOf(_train.Schema)));
        StringAssert.Contains(noLabel.Message, "Digit");
    }

    private static void AssertOption(string option, Action create)
    {
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(create);
        Assert.AreEqual(option, e.ParamName, e.Message);
    }

    private float[][] Scores(ITransformer model) =>
        _ml.Data.CreateEnumerable<Scored>(model.Transform(_test), reuseRowObject: false).Take(100).Select(r => r.Score).ToArray();

    private sealed class Scored
    {
        public float[] Score { get; set; } = Array.Empty<float>();
    }
}
