using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.Compression.Datasets;
using Microsoft.ML.Compression.Distillation;
using Microsoft.ML.Compression.Estimators;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Tests.Onnx;
using Microsoft.ML.Compression.Tests.Pruning;
using Microsoft.ML.Compression.Zoo;
using Microsoft.ML.Runtime;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Compression.Tests.Estimators;

/// <summary>Distill as an estimator, a teacher in every fine-tuning method's options, and clear errors for teachers that cannot teach.</summary>
[TestClass]
public class DistillationEstimatorTests
{
    private static MLContext _ml = null!;
    private static IDataView _train = null!;
    private static IDataView _test = null!;
    private static CompressedModelTransformer _teacher = null!;

    [ClassInitialize]
    public static void TrainTeacher(TestContext context)
    {
        _ml = new MLContext(seed: 0);
        _train = TestData.Mnist(_ml, MnistSplit.Train, 2000);
        _test = TestData.Mnist(_ml, MnistSplit.Test, 500);
        _teacher = _ml.Transforms.Compression.Train(NetworkZoo.LeNet5(batchNorm: true), epochs: 5).Fit(_train);
        Console.WriteLine($"teacher accuracy {Accuracy(_teacher)}");
    }

    [ClassCleanup]
    public static void Cleanup() => _teacher.Dispose();

    private static double Accuracy(ITransformer model) => _ml.MulticlassClassification.Evaluate(model.Transform(_test)).MicroAccuracy;

    [TestMethod]
    public void TeacherIsTrained() => Assert.IsTrue(Accuracy(_teacher) > 0.9, $"teacher accuracy {Accuracy(_teacher)}");

    [TestMethod]
    public void DistilledStudentLearnsAndOnnxRuntimeScoresItLikeTorchSharp()
    {
        using var student = _ml.Transforms.Compression.Distill(NetworkZoo.LeNet5(batchNorm: true), _teacher, epochs: 3).Fit(_train);
        Assert.AreEqual("kd", student.Report.Method);
        Assert.IsTrue(Accuracy(student) > 0.8, $"accuracy {Accuracy(student)}");
        float[] images = TestData.MnistArrays(MnistSplit.Test, 128).Features;
        using var module = new GraphModule(student.Network);
        float diff = PruningTestNets.MaxAbsDifference(PruningTestNets.Logits(module, images, 128), OrtRunner.Run(student.OnnxModel, images, 128).Logits);
        Assert.IsTrue(diff <= 1e-4, $"ORT max |logit difference| {diff}");
    }

    [TestMethod]
    public void StudentLearnsFromTheTeachersSoftTargetsAlone()
    {
        // alpha = 1: the labels play no part, so everything the student learns comes through the teacher.
        using var student = _ml.Transforms.Compression.Distill(NetworkZoo.LeNet5(), _teacher, epochs: 2, alpha: 1).Fit(_train);
        Assert.IsTrue(Accuracy(student) > 0.7, $"accuracy {Accuracy(student)}");
    }

    public static IEnumerable<object[]> Methods => new[] { "qat", "ste-w2", "slb", "slim", "l1", "scop" }.Select(m => new object[] { m });

    private static IEstimator<CompressedModelTransformer> Method(string name, StartingPoint? teacher)
    {
        var c = _ml.Transforms.Compression;
        NetworkGraph start = _teacher.Network;
        return name switch
        {
            "qat" => c.QuantizeAwareTraining(start, "Features", "Label", new QuantizeAwareTrainer.Options { Epochs = 1, Teacher = teacher }),
            "ste-w2" => c.QuantizeAwareTraining(start, "Features", "Label", new QuantizeAwareTrainer.Options { Epochs = 1, WeightBits = 2, ActivationBits = 32, Teacher = teacher }),
            "slb" => c.Slb(start, "Features", "Label", new SlbQuantizer.Options { Epochs = 1, WeightBits = 2, Teacher = teacher }),
            "slim" => c.NetworkSlimming(start, "Features", "Label", new NetworkSlimming.Options { SparsityEpochs = 1, Epochs = 1, Teacher = teacher }),
            "l1" => c.L1NormPruning(start, "Features", "Label", new L1NormPruner.Options { Epochs = 1, Teacher = teacher }),
            "scop" => c.Scop(start, "Features", "Label", new ScopPruner.Options { Epochs = 1, Teacher = teacher }),
            _ => throw new ArgumentOutOfRangeException(nameof(name)),
        };
    }

    [TestMethod]
    [DynamicData(nameof(Methods))]
    public void EveryFineTuningMethodTrainsAgainstATeacher(string method)
    {
        IDataView rows = _ml.Data.TakeRows(_train, 1000);
        var log = new List<string>();
        _ml.Log += Listen;
        CompressedModelTransformer taught, alone;
        try
        {
            taught = Method(method, _teacher).Fit(rows);
        }
        finally
        {
            _ml.Log -= Listen;
        }
        alone = Method(method, null).Fit(rows);
        using (taught)
        using (alone)
        {
            Assert.IsTrue(log.Any(l => l.Contains("Distilling from teacher 'lenet5-bn'", StringComparison.Ordinal)), $"{method}: {string.Join(" | ", log)}");
            Assert.IsTrue(Accuracy(taught) > 0.6, $"{method}: accuracy with the teacher {Accuracy(taught)}");
            // Same seed, data and epochs: only the loss differs, so the trained weights must too.
            double moved = taught.Network.Layers.SelectMany(l => l.Parameters.Select(p => (l.Name, p.Key, p.Value)))
                .Sum(t => t.Value.Data.Zip(alone.Network[t.Name].Parameters[t.Key].Data, (a, b) => Math.Abs(a - b)).Sum());
            Assert.IsTrue(moved > 1e-3, $"{method}: the teacher changed nothing ({moved})");
        }

        void Listen(object? sender, LoggingEventArgs e)
        {
            lock (log) log.Add(e.RawMessage);
        }
    }

    [TestMethod]
    public void TeachersThatCannotTeachAreRejectedBeforeFit()
    {
        var c = _ml.Transforms.Compression;
        NetworkGraph fiveClasses = TestWeights.FillRandom(NetworkZoo.LeNet5(classes: 5), 1);
        var e = Assert.ThrowsExactly<ArgumentException>(() => c.Distill(NetworkZoo.LeNet5(), fiveClasses));
        StringAssert.Contains(e.Message, "predicts 5 classes");
        StringAssert.Contains(e.Message, "predicts 10");
        e = Assert.ThrowsExactly<ArgumentException>(() =>
            c.QuantizeAwareTraining(_teacher, "Features", "Label", new QuantizeAwareTrainer.Options { Teacher = fiveClasses }));
        Assert.AreEqual("Teacher", e.ParamName);

        NetworkGraph larger = TestWeights.FillRandom(NetworkZoo.LeNet5(height: 32, width: 32), 1);
        e = Assert.ThrowsExactly<ArgumentException>(() => c.Distill(NetworkZoo.LeNet5(), larger));
        StringAssert.Contains(e.Message, "[1,32,32]");
        StringAssert.Contains(e.Message, "[1,28,28]");
        e = Assert.ThrowsExactly<ArgumentException>(() =>
            c.NetworkSlimming(_teacher, "Features", "Label", new NetworkSlimming.Options { Teacher = larger }));
        StringAssert.Contains(e.Message, "input shapes must match");
    }

    [TestMethod]
    public void BadDistillationOptionsAreNamed()
    {
        var c = _ml.Transforms.Compression;
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            c.Distill(NetworkZoo.LeNet5(), _teacher, alpha: 1.5)).Message, "DistillationWeight");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            c.Distill(NetworkZoo.LeNet5(), _teacher, temperature: 0)).Message, "DistillationTemperature");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() =>
            c.QuantizeAwareTraining(_teacher, "Features", "Label", new QuantizeAwareTrainer.Options { Hints = new[] { new FeatureHint("conv1", "conv1") } })).Message, "Teacher");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() =>
            c.Distill(NetworkZoo.LeNet5(), _teacher, "Features", "Label", new Distiller.Options { Hints = new[] { new FeatureHint("conv9", "conv1") } })).Message, "'conv9'");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() =>
            c.Distill(NetworkZoo.LeNet5(), _teacher, "Features", "Label", new Distiller.Options { Hints = new[] { new FeatureHint("conv1", "conv2") } })).Message, "spatial size");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() =>
            c.Distill(NetworkZoo.LeNet5(), _teacher, "Features", "Label", new Distiller.Options { Teacher = TestWeights.FillRandom(NetworkZoo.LeNet5(), 2) })).Message, "pass the teacher once");
    }
}
