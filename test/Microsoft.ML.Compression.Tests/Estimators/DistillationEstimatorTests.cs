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
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Compression.Tests.Estimators;

/// <summary>Distill as an estimator, a teacher in every fine-tuning method's options, and clear errors for teachers that cannot teach.</summary>
[TestClass]
public class DistillationEstimatorTests
{
    private static CompressedModelTransformer Teacher => TestModels.Teacher;

    private static double Accuracy(ITransformer model) => TestModels.Accuracy(model);

    [TestMethod]
    public void TeacherIsTrained() => Assert.IsTrue(Accuracy(Teacher) > 0.9, $"teacher accuracy {Accuracy(Teacher)}");

    [TestMethod]
    public void DistilledStudentLearnsAndOnnxRuntimeScoresItLikeTorchSharp()
    {
        using var student = TestModels.Compression.Distill(NetworkZoo.LeNet5(batchNorm: true), Teacher, epochs: 3).Fit(TestModels.Train);
        using var alone = TestModels.Compression.Train(NetworkZoo.LeNet5(batchNorm: true), epochs: 3).Fit(TestModels.Train);
        Assert.AreEqual("kd", student.Report.Method);
        // Three epochs of distillation cost a few points against the same student trained alone here (measured: 89.6% vs
        // 93.3%; the teacher, at 96%, is not far ahead); a broken loss would cost far more.
        Assert.IsTrue(Accuracy(student) >= Accuracy(alone) - 0.05, $"distilled {Accuracy(student)} vs alone {Accuracy(alone)}");
        float[] images = TestData.MnistFeatures(MnistSplit.Test, 128);
        using var module = new GraphModule(student.Network);
        float diff = TorchLogits.MaxAbsDifference(TorchLogits.Of(module, images, 128), OrtRunner.Run(student.OnnxModel, images, 128).Logits);
        Assert.IsTrue(diff <= 1e-4, $"ORT max |logit difference| {diff}");
    }

    [TestMethod]
    public void StudentLearnsFromTheTeachersSoftTargetsAlone()
    {
        // alpha = 1: the labels play no part, so everything the student learns comes through the teacher.
        using var student = TestModels.Compression.Distill(NetworkZoo.LeNet5(batchNorm: true), Teacher, epochs: 2, alpha: 1).Fit(TestModels.Train);
        // Measured 0.53 on an AVX2 CPU and above 0.6 on an AVX-512 one (libtorch's float kernels differ, and so does the
        // training path); a broken soft-target loss leaves the student near chance.
        Assert.IsTrue(Accuracy(student) >= 0.35, $"accuracy {Accuracy(student)}: a student that never sees a label beats chance (10%) only through the teacher");
    }

    public static IEnumerable<object[]> Methods => new[] { "qat", "ste-w2", "slb", "slim", "l1", "scop" }.Select(m => new object[] { m });

    private static IEstimator<CompressedModelTransformer> Method(CompressionCatalog c, string name, StartingPoint? teacher)
    {
        NetworkGraph start = Teacher.Network;
        return name switch
        {
            "qat" => c.QuantizeAwareTraining(start, new QuantizeAwareTrainer.Options { Epochs = 1, Teacher = teacher }),
            "ste-w2" => c.QuantizeAwareTraining(start, new QuantizeAwareTrainer.Options { Epochs = 1, WeightBits = 2, ActivationBits = 32, Teacher = teacher }),
            "slb" => c.Slb(start, new SlbQuantizer.Options { Epochs = 1, WeightBits = 2, Teacher = teacher }),
            "slim" => c.NetworkSlimming(start, new NetworkSlimming.Options { SparsityEpochs = 1, Epochs = 1, Teacher = teacher }),
            "l1" => c.L1NormPruning(start, new L1NormPruner.Options { Epochs = 1, Teacher = teacher }),
            "scop" => c.Scop(start, new ScopPruner.Options { Epochs = 1, Teacher = teacher }),
            _ => throw new ArgumentOutOfRangeException(nameof(name)),
        };
    }

    [TestMethod]
    [DynamicData(nameof(Methods))]
    public void EveryFineTuningMethodTrainsAgainstATeacher(string method)
    {
        IDataView rows = TestModels.Ml.Data.TakeRows(TestModels.Train, 1000);
        var log = new List<string>();
        var ml = new MLContext(seed: 0); // both runs draw the same seed from a fresh context
        ml.Log += (_, e) => { lock (log) log.Add(e.RawMessage); };
        using CompressedModelTransformer taught = Method(ml.Transforms.Compression, method, Teacher).Fit(rows);
        using CompressedModelTransformer alone = Method(new MLContext(seed: 0).Transforms.Compression, method, null).Fit(rows);
        Assert.IsTrue(log.Any(l => l.Contains("Distilling from teacher 'lenet5-bn'", StringComparison.Ordinal)), $"{method}: {string.Join(" | ", log)}");
        Assert.IsTrue(Accuracy(taught) >= Accuracy(alone) - 0.02, $"{method}: {Accuracy(taught)} with the teacher vs {Accuracy(alone)} without");
        // Same seed, data and epochs: only the loss differs, so the trained weights must too.
        double moved = taught.Network.Layers.SelectMany(l => l.Parameters.Select(p => (l.Name, p.Key, p.Value)))
            .Sum(t => t.Value.Data.Zip(alone.Network[t.Name].Parameters[t.Key].Data, (a, b) => Math.Abs(a - b)).Sum());
        Assert.IsTrue(moved > 1e-3, $"{method}: the teacher changed nothing ({moved})");
    }

    [TestMethod]
    public void TeachersThatCannotTeachAreRejectedBeforeFit()
    {
        var c = TestModels.Compression;
        NetworkGraph fiveClasses = TestWeights.FillRandom(NetworkZoo.LeNet5(classes: 5), 1);
        var e = Assert.ThrowsExactly<ArgumentException>(() => c.Distill(NetworkZoo.LeNet5(), fiveClasses));
        StringAssert.Contains(e.Message, "predicts 5 classes");
        StringAssert.Contains(e.Message, "predicts 10");
        e = Assert.ThrowsExactly<ArgumentException>(() =>
            c.QuantizeAwareTraining(Teacher, new QuantizeAwareTrainer.Options { Teacher = fiveClasses }));
        Assert.AreEqual("Teacher", e.ParamName);

        NetworkGraph larger = TestWeights.FillRandom(NetworkZoo.LeNet5(height: 32, width: 32), 1);
        e = Assert.ThrowsExactly<ArgumentException>(() => c.Distill(NetworkZoo.LeNet5(), larger));
        StringAssert.Contains(e.Message, "[1,32,32]");
        StringAssert.Contains(e.Message, "[1,28,28]");
        e = Assert.ThrowsExactly<ArgumentException>(() =>
            c.NetworkSlimming(Teacher, new NetworkSlimming.Options { Teacher = larger }));
        StringAssert.Contains(e.Message, "input shapes must match");
    }

    [TestMethod]
    public void BadDistillationOptionsAreNamed()
    {
        var c = TestModels.Compression;
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            c.Distill(NetworkZoo.LeNet5(), Teacher, alpha: 1.5)).Message, "DistillationWeight");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            c.Distill(NetworkZoo.LeNet5(), Teacher, temperature: 0)).Message, "DistillationTemperature");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() =>
            c.QuantizeAwareTraining(Teacher, new QuantizeAwareTrainer.Options { Hints = new[] { new FeatureHint("conv1", "conv1") } })).Message, "Teacher");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() =>
            c.Distill(NetworkZoo.LeNet5(), Teacher, new Distiller.Options { Hints = new[] { new FeatureHint("conv9", "conv1") } })).Message, "'conv9'");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() =>
            c.Distill(NetworkZoo.LeNet5(), Teacher, new Distiller.Options { Hints = new[] { new FeatureHint("conv1", "conv2") } })).Message, "spatial size");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() =>
            c.Distill(NetworkZoo.LeNet5(), Teacher, new Distiller.Options { Teacher = TestWeights.FillRandom(NetworkZoo.LeNet5(), 2) })).Message, "pass the teacher once");
    }
}
