using System.Linq;
using Microsoft.ML.Compression.Estimators;
using Microsoft.ML.Compression.Quantization;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Onnx.Import;
using Microsoft.ML.Compression.Tests.Fixtures;
using Microsoft.ML.Compression.Zoo;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Compression.Tests.Estimators;

/// <summary>
/// Every method starts from a model given only as an ONNX file written by PyTorch (LeNet with BatchNorm at opset 9,
/// fixed batch 1, trained on MNIST): accuracy floors are relative to the imported model's own accuracy on the test
/// rows, measured here in TorchSharp.
/// </summary>
[TestClass]
public class ImportedModelCompressionTests
{
    private static NetworkGraph _imported = null!;
    private static double _start;

    private static StartingPoint Start => StartingPoint.FromOnnx(OnnxFixtures.Get("lenet_bn_opset9").Path);

    [ClassInitialize]
    public static void Import(TestContext context)
    {
        _imported = OnnxImporter.Import(OnnxFixtures.Get("lenet_bn_opset9").Path);
        _start = TestModels.Accuracy(_imported);
        Assert.IsTrue(_start > 0.9, $"the imported LeNet scores {_start:P1} on the test rows");
    }

    private static void AssertAtLeast(double floorBelowStart, CompressedModelTransformer model, string method)
    {
        double accuracy = TestModels.Accuracy(model);
        Assert.IsTrue(accuracy >= _start - floorBelowStart, $"{method}: {accuracy:P2} vs the imported model's {_start:P2}");
    }

    [TestMethod]
    public void PostTrainingQuantizationKeepsAccuracy()
    {
        using var model = TestModels.Compression.PostTrainingQuantization(Start).Fit(TestModels.Train);
        AssertAtLeast(0.02, model, "PTQ int8");
    }

    [TestMethod]
    public void QuantizeAwareTrainingKeepsAccuracy()
    {
        using var model = TestModels.Compression.QuantizeAwareTraining(Start, new QuantizeAwareTrainer.Options { Epochs = 1 }).Fit(TestModels.Train);
        AssertAtLeast(0.02, model, "QAT int8");
    }

    [TestMethod]
    public void SlbFourBitKeepsAccuracy()
    {
        using var model = TestModels.Compression.Slb(Start, new SlbQuantizer.Options { WeightBits = 4, Epochs = 1 }).Fit(TestModels.Train);
        AssertAtLeast(0.03, model, "SLB w4");
    }

    [TestMethod]
    public void L1AndScopPruningShrinkTheImportedNetwork()
    {
        using var l1 = TestModels.Compression.L1NormPruning(Start, new L1NormPruner.Options { PruneRate = 0.3, Epochs = 1 }).Fit(TestModels.Train);
        using var scop = TestModels.Compression.Scop(Start, new ScopPruner.Options { PruneRate = 0.3, Epochs = 1, KnockoffRows = 500 }).Fit(TestModels.Train);
        foreach (var (model, name) in new[] { (l1, "L1"), (scop, "SCOP") })
        {
            Assert.IsTrue(model.Network.ParameterCount < _imported.ParameterCount * 0.85, $"{name}: {model.Network.ParameterCount} of {_imported.ParameterCount} parameters");
            AssertAtLeast(0.08, model, name);
        }
    }

    [TestMethod]
    public void SlimmingUsesTheImportedBatchNormScales()
    {
        using var model = TestModels.Compression.NetworkSlimming(Start, new NetworkSlimming.Options { PruneRate = 0.3, Epochs = 1, SparsityEpochs = 1 }).Fit(TestModels.Train);
        Assert.IsTrue(model.Network.ParameterCount < _imported.ParameterCount, "channels were removed");
        AssertAtLeast(0.08, model, "slimming");
    }

    [TestMethod]
    public void AnImportedTeacherDistilsIntoAStudentAndAnImportedStudentLearnsFromATeacher()
    {
        using var student = TestModels.Compression.Distill(NetworkZoo.LeNet5(), Start, new Distiller.Options { Epochs = 2 }).Fit(TestModels.Train);
        Assert.IsTrue(TestModels.Accuracy(student) > 0.8, $"student of the imported teacher: {TestModels.Accuracy(student):P1}");
        using var imported = TestModels.Compression.Distill(_imported, TestModels.Teacher, new Distiller.Options { Epochs = 1, LearningRate = 0.001 }).Fit(TestModels.Train);
        AssertAtLeast(0.05, imported, "imported student");
    }

    [TestMethod]
    public void APlanPrunesThenQuantizesTheImportedNetwork()
    {
        using var model = TestModels.Compression.Plan(Start)
            .L1NormPruning(new L1NormPruner.Options { PruneRate = 0.3, Epochs = 1 })
            .QuantizeAwareTraining(new QuantizeAwareTrainer.Options { Epochs = 1, Latency = new Int8LatencyOptions { Check = Int8LatencyCheck.Off } }) // int8 whatever the timings
            .Fit(TestModels.Train, TestModels.Test);
        Assert.IsTrue(model.Network.ParameterCount < _imported.ParameterCount);
        CollectionAssert.AreEqual(new[] { "start", "L1NormPruning", "QuantizeAwareTraining" }, model.Plan!.Steps.Select(r => r.Name).ToArray());
        Assert.IsTrue(model.Plan.Steps[^1].OnnxBytes < model.Plan.Steps[0].OnnxBytes / 3, model.Plan.ToString());
        AssertAtLeast(0.08, model, "plan L1 -> QAT");
    }
}
