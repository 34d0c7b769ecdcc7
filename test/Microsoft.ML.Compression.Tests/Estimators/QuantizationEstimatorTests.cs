using System;
using System.IO;
using System.Linq;
using Microsoft.ML.Compression.Compressed;
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
    private static CompressedModelTransformer _qat = null!;
    private static double _start;

    [ClassInitialize]
    public static void QuantizeOnce(TestContext context)
    {
        _start = TestModels.Accuracy(TestModels.LeNet);
        _qat = TestModels.Compression.QuantizeAwareTraining(TestModels.LeNet,
            // Check = Off: the layers asserted below must not depend on this CPU's timings.
            new QuantizeAwareTrainer.Options { Epochs = 2, LearningRate = 0.01, Latency = new Int8LatencyOptions { Check = Int8LatencyCheck.Off } }).Fit(TestModels.Train);
    }

    [ClassCleanup]
    public static void Cleanup() => _qat?.Dispose();

    private static double Accuracy(ITransformer model) => TestModels.Accuracy(model);

    [TestMethod]
    public void QuantizeAwareTrainingLearnsAndReportsInt8Layers()
    {
        var history = _qat.Report.History;
        Assert.AreEqual(2, history.Count);
        Assert.IsTrue(history[1].TrainLoss < history[0].TrainLoss, $"loss fell: {history[0].TrainLoss} -> {history[1].TrainLoss}");
        double accuracy = Accuracy(_qat);
        Assert.IsTrue(accuracy >= _start - 0.02, $"int8 accuracy {accuracy} vs the fp32 start's {_start}");

        Assert.AreEqual("simqat-int8", _qat.Report.Method);
        // LeNet's convolutions read 1 and 6 channels, too few for ONNX Runtime's int8 kernels to be faster: they stay float.
        Assert.IsTrue(_qat.Report.Layers.Where(l => l.Kind is "Linear").All(l => l.WeightBits == 8));
        Assert.IsTrue(_qat.Report.Layers.Where(l => l.Kind is "Conv2d" or "ReLU" or "MaxPool2d").All(l => l.WeightBits == 32));
        Assert.IsTrue(_qat.Report.OnnxRatio < 0.35, $"ONNX ratio {_qat.Report.OnnxRatio}");
        // Closed form: int8 weights at one byte, float weights and biases at four (LeNet-5: 61,470 weights of which
        // 150 + 2,400 in the convolutions, 236 biases).
        long weights = _qat.Report.Layers.Sum(l => l.Weights), biases = _qat.Report.Parameters - weights;
        Assert.AreEqual(61_470L, weights);
        Assert.AreEqual(weights - 2_550 + 4 * (2_550 + biases), _qat.Report.ParameterBytes);
        Assert.AreEqual(0.25, _qat.Report.QuantizedWeightRatio, 1e-12, "int8 weights take exactly a quarter of fp32's bytes");
        StringAssert.Contains(_qat.Report.ToString(), "of fp32");
        Assert.IsTrue(_qat.Compressed.Weights.Values.All(w => w is Int8Weights));
    }

    [TestMethod]
    public void QuantizeAwareTrainingSimulationMatchesOnnxRuntime() => QuantizedExportTests.AssertAgreement(_qat.Compressed);

    [TestMethod]
    public void QuantizeAwareTrainingFoldsBatchNormAndFreezesIt()
    {
        NetworkGraph trained = TestModels.LeNetWithBatchNorm;
        using var model = new QuantizationAwareModel(trained, null, "KeepFloatLayers", RangeTracking.MinMax, 0.999, foldBatchNorm: true);
        var schedule = new QuantizationSchedule(model, quantDelay: 3, freezeBatchNormAfter: 5);
        FakeQuantWeightLayer conv = model.LayerModule("conv1");
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
        using var x = torch.tensor(TestData.MnistFeatures(MnistSplit.Train, 64), new long[] { 64, 784 });
        model.Module.train();
        using (var _ = model.Module.call(x)) { }
        (NetworkGraph floatNet, CompressedNetwork q) = model.Finish();
        CollectionAssert.AreEqual(trained["bn1"].Parameters["running_mean"].Data, floatNet["bn1"].Parameters["running_mean"].Data);
        Assert.IsFalse(q.Graph.Layers.OfType<BatchNorm2dLayer>().Any());
        Assert.IsTrue(q.Activations.ContainsKey("relu1") && q.Activations.ContainsKey("input"));
    }

    [TestMethod]
    public void PostTrainingQuantizationCalibratesWithoutTraining()
    {
        foreach (var method in new[] { CalibrationMethod.MinMax, CalibrationMethod.Percentile })
        {
            using var ptq = TestModels.Compression.PostTrainingQuantization(TestModels.LeNet,
                new PostTrainingQuantizer.Options { CalibrationSamples = 256, Calibration = method, Latency = new Int8LatencyOptions { Check = Int8LatencyCheck.Off } }).Fit(TestModels.Train);
            Assert.AreEqual("ptq-int8", ptq.Report.Method);
            Assert.AreEqual(0, ptq.Report.History.Count);
            double accuracy = Accuracy(ptq);
            Assert.IsTrue(accuracy >= _start - 0.02, $"{method}: int8 accuracy {accuracy} vs the fp32 start's {_start}");
            CollectionAssert.AreEqual(TestModels.LeNet["conv1"].Parameters["weight"].Data, ptq.Network["conv1"].Parameters["weight"].Data,
                "no training: the float weights are untouched");
        }
    }

    [TestMethod]
    public void QuantizedModelSavesAndLoadsThroughMLNet()
    {
        using var stream = new MemoryStream();
        TestModels.Ml.Model.Save(_qat, TestModels.Train.Schema, stream);
        stream.Position = 0;
        ITransformer loaded = TestModels.Ml.Model.Load(stream, out _);
        float[][] before = Scores(_qat), after = Scores(loaded);
        for (int i = 0; i < before.Length; i++)
            CollectionAssert.AreEqual(before[i], after[i], $"row {i}");
    }

    [TestMethod]
    public void QuantizedModelIsAValidStartingPoint()
    {
        using var again = TestModels.Compression.PostTrainingQuantization(_qat, calibrationSamples: 128).Fit(TestModels.Train);
        Assert.IsTrue(Accuracy(again) >= Accuracy(_qat) - 0.02, $"{Accuracy(again)} after {Accuracy(_qat)}");
    }

    [TestMethod]
    public void BadOptionsNameTheOption()
    {
        var c = TestModels.Compression;
        NetworkGraph lenet = TestModels.LeNet;
        AssertOption("WeightBits", () => c.QuantizeAwareTraining(lenet, new QuantizeAwareTrainer.Options { WeightBits = 3 }));
        AssertOption("ActivationBits", () => c.QuantizeAwareTraining(lenet, new QuantizeAwareTrainer.Options { ActivationBits = 32 }));
        AssertOption("ActivationBits", () => c.QuantizeAwareTraining(lenet, new QuantizeAwareTrainer.Options { ActivationBits = 16 }));
        AssertOption("QuantDelay", () => c.QuantizeAwareTraining(lenet, new QuantizeAwareTrainer.Options { QuantDelay = -1 }));
        AssertOption("FreezeBatchNormAfter", () => c.QuantizeAwareTraining(lenet, new QuantizeAwareTrainer.Options { FreezeBatchNormAfter = -5 }));
        AssertOption("EmaDecay", () => c.QuantizeAwareTraining(lenet, new QuantizeAwareTrainer.Options { EmaDecay = 1.0 }));
        AssertOption("WeightBits", () => c.PostTrainingQuantization(lenet, new PostTrainingQuantizer.Options { WeightBits = 7 }));
        AssertOption("CalibrationSamples", () => c.PostTrainingQuantization(lenet, new PostTrainingQuantizer.Options { CalibrationSamples = 0 }));
        AssertOption("Percentile", () => c.PostTrainingQuantization(lenet, new PostTrainingQuantizer.Options { Percentile = 120 }));

        var unknown = Assert.ThrowsExactly<ArgumentException>(() =>
            c.QuantizeAwareTraining(lenet, new QuantizeAwareTrainer.Options { KeepFloatLayers = new[] { "conv7" } }));
        StringAssert.Contains(unknown.Message, "conv7");
        StringAssert.Contains(unknown.Message, "KeepFloatLayers");
        var untrained = Assert.ThrowsExactly<ArgumentException>(() => c.PostTrainingQuantization(NetworkZoo.LeNet5()));
        StringAssert.Contains(untrained.Message, "no trained weights");
        var noLabel = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            c.QuantizeAwareTraining(lenet, "Features", "Digit").GetOutputSchema(MlNetInternals.ShapeOf(TestModels.Train.Schema)));
        StringAssert.Contains(noLabel.Message, "Digit");
    }

    private static void AssertOption(string option, Action create)
    {
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(create);
        Assert.AreEqual(option, e.ParamName, e.Message);
    }

    private float[][] Scores(ITransformer model) =>
        TestModels.Ml.Data.CreateEnumerable<Scored>(model.Transform(TestModels.Test), reuseRowObject: false).Take(100).Select(r => r.Score).ToArray();

    private sealed class Scored
    {
        public float[] Score { get; set; } = Array.Empty<float>();
    }
}
