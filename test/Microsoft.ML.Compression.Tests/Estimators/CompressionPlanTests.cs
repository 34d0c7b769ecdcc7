using System;
using System.Linq;
using Microsoft.ML.Compression.Datasets;
using Microsoft.ML.Compression.Estimators;
using Microsoft.ML.Compression.Quantization;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Onnx.Proto;
using Microsoft.ML.Compression.Tests.Onnx;
using Microsoft.ML.Compression.Tests.Quantization;
using Microsoft.ML.Compression.Zoo;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using DataType = Microsoft.ML.Compression.Onnx.Proto.TensorProto.Types.DataType;

namespace Microsoft.ML.Compression.Tests.Estimators;

/// <summary>Chained steps: prune -> distill -> quantize in one Fit gives one pruned int8 ONNX model and a report row per step.</summary>
[TestClass]
public class CompressionPlanTests
{
    private static CompressedModelTransformer _chained = null!;

    [ClassInitialize]
    public static void FitPlan(TestContext context)
    {
        NetworkGraph start = TestModels.Teacher.Network;
        _chained = TestModels.Compression.Plan(start)
            .WithTeacher(start)
            .L1NormPruning(new L1NormPruner.Options { PruneRate = 0.5, Epochs = 1 })
            .Distill(new Distiller.Options { Epochs = 1, LearningRate = 0.01 })
            // Every layer in int8, LeNet's few-channel convolutions included (by default they stay float, as faster).
            .QuantizeAwareTraining(new QuantizeAwareTrainer.Options { Epochs = 1, Latency = new Int8LatencyOptions { KeepSlowLayersFloat = false } })
            .Fit(TestModels.Train, TestModels.Test);
    }

    [ClassCleanup]
    public static void Cleanup() => _chained.Dispose();

    [TestMethod]
    public void OneOnnxModelIsBothPrunedAndInt8()
    {
        ModelProto model = ModelProto.Parser.ParseFrom(_chained.OnnxModel);
        var initializers = model.Graph.Initializer.ToDictionary(t => t.Name);
        // L1 at 50% keeps 4 of conv1's 6 filters (3, rounded to the nearest multiple of 2, a tie going up: 6 channels
        // are too few for multiples of 8 or 4) and 8 of conv2's 16; fc1 reads 8 x 5 x 5 inputs instead of 400.
        AssertInt8("conv1", 4, 1, 5, 5);
        AssertInt8("conv2", 8, 4, 5, 5);
        AssertInt8("fc1", 120, 200);
        Assert.IsTrue(model.Graph.Node.Count(n => n.OpType == "DequantizeLinear") >= 5, "weights and activations are dequantized in QDQ form");
        Assert.IsFalse(initializers.Values.Any(t => t.DataType == (int)DataType.Float && t.Dims.Count >= 2), "no float weight matrix or filter left");
        Assert.IsFalse(model.Graph.Node.Any(n => n.OpType == "BatchNormalization"), "BatchNorm folded");

        void AssertInt8(string name, params long[] dims)
        {
            TensorProto t = StoredWeights.Of(model, name);
            Assert.AreEqual((int)DataType.Int8, t.DataType, name);
            CollectionAssert.AreEqual(dims, t.Dims.ToArray(), $"{name}: [{string.Join(",", t.Dims)}]");
        }
    }

    [TestMethod]
    public void ReportListsEveryStepWithItsEffect()
    {
        var rows = _chained.Plan!.Steps;
        CollectionAssert.AreEqual(new[] { "start", "L1NormPruning", "Distill", "QuantizeAwareTraining" }, rows.Select(r => r.Name).ToArray());
        CollectionAssert.AreEqual(new[] { "fp32", "l1-50", "kd", "simqat-int8" }, rows.Select(r => r.Method).ToArray());
        CollectionAssert.AreEqual(new[] { null, "lenet5-bn", "lenet5-bn", "lenet5-bn" }, rows.Select(r => r.Teacher).ToArray());
        // One epoch per step after removing half the channels (measured: 2 to 3 points below the start).
        Assert.IsTrue(rows.All(r => r.Accuracy >= rows[0].Accuracy - 0.04), "every step within 4 points of the start: " + _chained.Plan);
        Assert.IsTrue(rows[1].Parameters < rows[0].Parameters * 0.6, "pruning removed over 40% of the parameters (fc2 and fc3 stay whole)");
        Assert.AreEqual(rows[1].Parameters, rows[2].Parameters, "distillation keeps the structure");
        Assert.IsTrue(rows[3].OnnxBytes < rows[2].OnnxBytes / 2 && rows[2].OnnxBytes < rows[0].OnnxBytes, _chained.Plan.ToString());
        Assert.IsTrue(rows[3].ParameterBytes < rows[2].ParameterBytes / 3, "int8 weights");
        Assert.AreEqual(_chained.Report.OnnxBytes, rows[3].OnnxBytes);
        double ml = TestModels.Ml.MulticlassClassification.Evaluate(_chained.Transform(TestModels.Test)).MicroAccuracy;
        Assert.AreEqual(ml, rows[3].Accuracy!.Value, 1e-9, "the last row's accuracy is the returned model's");
        Assert.IsNotNull(_chained.Pruning, "the pruning step's report stays with the final model");
        Assert.AreEqual(4, _chained.Pruning!.Layers.Single(l => l.Name == "conv1").After);
        StringAssert.Contains(_chained.Plan.ToString(), "simqat-int8");
    }

    [TestMethod]
    public void CompressedModelIsAValidStartingPointAndPlansAreImmutable()
    {
        var c = TestModels.Compression;
        var plan = c.Plan(TestModels.LeNetWithBatchNorm).L1NormPruning();
        var longer = plan.QuantizeAwareTraining();
        CollectionAssert.AreEqual(new[] { "L1NormPruning" }, plan.Steps.ToArray());
        CollectionAssert.AreEqual(new[] { "L1NormPruning", "QuantizeAwareTraining" }, longer.Steps.ToArray());
        using var again = c.PostTrainingQuantization(_chained).Fit(TestModels.Train);
        Assert.AreEqual(_chained.Network.ParameterCount, again.Network.ParameterCount, "the chained model's float network starts the next step");
    }

    [TestMethod]
    public void BadPlansFailBeforeTraining()
    {
        var c = TestModels.Compression;
        NetworkGraph start = TestModels.LeNetWithBatchNorm;
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => c.Plan(start).QuantizeAwareTraining().L1NormPruning());
        StringAssert.Contains(e.Message, "quantization step must be the last");
        e = Assert.ThrowsExactly<InvalidOperationException>(() => c.Plan(start).L1NormPruning().Distill().Fit(TestModels.Train));
        StringAssert.Contains(e.Message, "Step 2 (Distill) has no teacher");
        Assert.ThrowsExactly<InvalidOperationException>(() => c.Plan(start).Fit(TestModels.Train));
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            c.Plan(start).L1NormPruning(new L1NormPruner.Options { PruneRate = 2 })).Message, "PruneRate");
        var wrong = TestWeights.FillRandom(NetworkZoo.LeNet5(classes: 5), 1);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => c.Plan(start).WithTeacher(wrong)).Message, "predicts 5 classes");
    }
}
