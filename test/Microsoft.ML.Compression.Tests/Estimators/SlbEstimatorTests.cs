using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.ML.Compression.Compressed;
using Microsoft.ML.Compression.Datasets;
using Microsoft.ML.Compression.Estimators;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Onnx;
using Microsoft.ML.Compression.Onnx.Proto;
using Microsoft.ML.Compression.Quantization.LowBit;
using Microsoft.ML.Compression.Tests.Onnx;
using Microsoft.ML.Compression.Tests.Quantization;
using Microsoft.ML.Compression.Training;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using DataType = Microsoft.ML.Compression.Onnx.Proto.TensorProto.Types.DataType;

namespace Microsoft.ML.Compression.Tests.Estimators;

/// <summary>Slb and the low-bit baselines as ML.NET estimators: learning, stored bit widths, ONNX Runtime and ML.NET parity, options.</summary>
[TestClass]
public class SlbEstimatorTests
{
    private static readonly Dictionary<string, CompressedModelTransformer> Models = new();

    [ClassInitialize]
    public static void FitOnce(TestContext context)
    {
        var c = TestModels.Compression;
        NetworkGraph start = TestModels.LeNetWithBatchNorm;
        foreach (int bits in new[] { 4, 2, 1 })
            Models[$"w{bits}"] = c.Slb(start, Options(bits, false)).Fit(TestModels.Train);
        Models["w1a8"] = c.Slb(start, Options(1, true)).Fit(TestModels.Train);
        Models["rtn-w1"] = c.PostTrainingQuantization(start, new PostTrainingQuantizer.Options { WeightBits = 1, ActivationBits = 32 }).Fit(TestModels.Train);
        Models["ste-w2a8"] = c.QuantizeAwareTraining(start, new QuantizeAwareTrainer.Options { WeightBits = 2, ActivationBits = 8, Epochs = 1, Optimizer = OptimizerKind.Adam, LearningRate = 0.001 }).Fit(TestModels.Train);
    }

    private static SlbQuantizer.Options Options(int bits, bool a8) => new()
    {
        WeightBits = bits, QuantizeActivations = a8, Epochs = 2, TemperatureFactor = 50, BatchNormCalibrationRows = 512,
    };

    [ClassCleanup]
    public static void Cleanup()
    {
        foreach (var m in Models.Values) m.Dispose();
    }

    private static double Accuracy(ITransformer model) => TestModels.Accuracy(model);

    private static double Start => TestModels.Accuracy(TestModels.LeNetWithBatchNorm);

    [TestMethod]
    public void SlbLearnsLevelWeightsBetterThanRounding()
    {
        foreach (var name in new[] { "w4", "w2", "w1", "w1a8" })
        {
            var history = Models[name].Report.History;
            Assert.AreEqual(2, history.Count, name);
            Assert.IsTrue(history[1].TrainLoss < history[0].TrainLoss, $"{name}: loss fell {history[0].TrainLoss} -> {history[1].TrainLoss}");
            Assert.IsTrue(Accuracy(Models[name]) >= Start - 0.02, $"{name}: accuracy {Accuracy(Models[name])} vs the fp32 start's {Start}");
        }
        double slb = Accuracy(Models["w1"]), rtn = Accuracy(Models["rtn-w1"]);
        Assert.IsTrue(slb > rtn, $"SLB W1 {slb} vs round-to-nearest W1 {rtn}");
    }

    [TestMethod]
    [DataRow("w4", 4, (int)DataType.Int4, 21)]
    [DataRow("w2", 2, (int)DataType.Int2, 25)]
    [DataRow("w1", 1, (int)DataType.Uint8, 18)]
    public void ExportStoresWeightsAtTheirBitWidth(string name, int bits, int type, int opset)
    {
        CompressedModelTransformer model = Models[name];
        ModelProto onnx = ModelProto.Parser.ParseFrom(model.OnnxModel);
        Assert.AreEqual(opset, onnx.OpsetImport.Single().Version);
        var initializers = onnx.Graph.Initializer.ToDictionary(t => t.Name);
        foreach (string layer in new[] { "conv1", "conv2" })
        {
            long weights = model.Compressed.Weights[layer].Count;
            TensorProto stored = StoredWeights.Of(onnx, layer);
            Assert.AreEqual(type, stored.DataType, layer);
            Assert.AreEqual((weights * bits + 7) / 8, stored.RawData.Length, $"{layer}: exactly {bits} bits per weight, packed");
            Assert.IsFalse(initializers.ContainsKey($"{layer}.weight") && initializers[$"{layer}.weight"].DataType == (int)DataType.Float, "no float copy");
        }
        // A per-channel step column [C, 1, 1, 1] is float; a float convolution weight would hold more than one value per channel.
        Assert.IsFalse(onnx.Graph.Initializer.Any(t => t.DataType == (int)DataType.Float && t.Dims.Count == 4 && t.Dims.Skip(1).Any(d => d > 1)), "no float convolution weights");
        Assert.IsTrue(onnx.Graph.Node.Any(n => n.OpType == "Gemm"), "fully connected layers are Gemm");
        var info = OnnxModelInfo.Read(model.OnnxModel);
        Assert.AreEqual($"slb-{name}", info.Metadata[OnnxMetadataKeys.Method]);
        Assert.AreEqual(bits.ToString(), info.Metadata[OnnxMetadataKeys.WeightBits]);
        Assert.AreEqual("conv1,conv2", info.Metadata[OnnxMetadataKeys.QuantizedLayers]);
    }

    [TestMethod]
    [DataRow("w4", 4)]
    [DataRow("w2", 2)]
    [DataRow("w1", 1)]
    public void ReportGivesBitsAndWeightBytes(string name, int bits)
    {
        var report = Models[name].Report;
        Assert.AreEqual(bits, report.Layers.Single(l => l.Name == "conv2").WeightBits);
        Assert.AreEqual(32, report.Layers.Single(l => l.Name == "fc1").WeightBits);
        Assert.AreEqual((150 + 2400) * 4, report.QuantizedWeightFp32Bytes);
        // conv1 (150 weights) and conv2 (2,400) stored at `bits` bits each, packed per layer.
        long stored = (150 * bits + 7) / 8 + (2400 * bits + 7) / 8;
        Assert.AreEqual(stored, report.QuantizedWeightBytes);
        Assert.AreEqual(stored / (2550 * 4.0), report.QuantizedWeightRatio, 1e-15);
        Assert.IsTrue(report.OnnxBytes < report.Fp32OnnxBytes);
        StringAssert.Contains(report.ToString(), "quantized layers' weights");
    }

    [TestMethod]
    [DataRow("w4")]
    [DataRow("w2")]
    [DataRow("w1")]
    [DataRow("rtn-w1")]
    public void OnnxRuntimeAndMLNetScoreLikeTorchSharp(string name)
    {
        CompressedModelTransformer model = Models[name];
        float[] images = TestData.MnistFeatures(MnistSplit.Test, 256);
        float[] expected = TorchLogits.Of(model.Compressed, images, 256);
        float[] ort = OrtRunner.Run(model.OnnxModel, images, 256).Logits;
        float maxDiff = TorchLogits.MaxAbsDifference(expected, ort);
        Assert.IsTrue(maxDiff <= 1e-4f, $"{name}: ONNX Runtime max |logit difference| {maxDiff}");

        // ML.NET (default optimizations) through the saved and reloaded model.
        using var stream = new MemoryStream();
        TestModels.Ml.Model.Save(model, TestModels.Train.Schema, stream);
        stream.Position = 0;
        ITransformer loaded = TestModels.Ml.Model.Load(stream, out _);
        var scores = TestModels.Ml.Data.CreateEnumerable<Scored>(loaded.Transform(TestData.Mnist(TestModels.Ml, MnistSplit.Test, 256)), reuseRowObject: false).ToArray();
        for (int row = 0; row < 256; row++)
        {
            float[] logits = expected.Skip(row * 10).Take(10).ToArray();
            float max = logits.Max(), sum = logits.Sum(l => MathF.Exp(l - max));
            for (int k = 0; k < 10; k++)
                Assert.AreEqual(MathF.Exp(logits[k] - max) / sum, scores[row].Score[k], 1e-4f, $"{name}: row {row} class {k}");
        }
    }

    [TestMethod]
    [DataRow("w1a8")]
    [DataRow("ste-w2a8")]
    public void QuantizedActivationsAgreeWithOnnxRuntime(string name)
    {
        CompressedModelTransformer model = Models[name];
        Assert.IsTrue(model.Compressed.Activations.Count > 0);
        ModelProto onnx = ModelProto.Parser.ParseFrom(model.OnnxModel);
        Assert.IsTrue(onnx.Graph.Node.Count(n => n.OpType == "QuantizeLinear") >= 2);
        float[] images = TestData.MnistFeatures(MnistSplit.Test, 256);
        float[] expected = TorchLogits.Of(model.Compressed, images, 256);
        float[] ort = OrtRunner.Run(model.OnnxModel, images, 256).Logits;
        int agree = Enumerable.Range(0, 256).Count(r => OrtRunner.ArgMax(expected, r, 10) == OrtRunner.ArgMax(ort, r, 10));
        Assert.IsTrue(agree >= 250, $"{name}: {agree}/256 predictions agree");
        // A value on a rounding boundary may land one grid step apart in the two runtimes (their float sums differ in the
        // last bits); such a step may propagate, so logits agree within a few steps of a uint8 grid over their range.
        float step = (expected.Max() - expected.Min()) / 255, maxDiff = expected.Zip(ort, (a, b) => MathF.Abs(a - b)).Max();
        Console.WriteLine($"{name}: max |logit difference| {maxDiff} = {maxDiff / step:F2} output steps");
        Assert.IsTrue(maxDiff <= 3 * step, $"{name}: max |logit difference| {maxDiff} is {maxDiff / step:F2} output steps");
    }

    [TestMethod]
    public void BadOptionsAreRefusedWithTheirNames()
    {
        var c = TestModels.Compression;
        NetworkGraph start = TestModels.LeNetWithBatchNorm;
        SlbQuantizer Make(SlbQuantizer.Options o) => c.Slb(start, o);
        var bits = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Make(new() { WeightBits = 3 }));
        Assert.AreEqual("WeightBits", bits.ParamName);
        StringAssert.Contains(bits.Message, "1, 2 or 4");
        foreach (double factor in new[] { 0.0, -1.0 })
        {
            var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Make(new() { TemperatureFactor = factor }));
            Assert.AreEqual("TemperatureFactor", e.ParamName);
            StringAssert.Contains(e.Message, "t_factor");
        }
        var order = Assert.ThrowsExactly<ArgumentException>(() => Make(new() { TemperatureStartTime = 0.7, TemperatureEndTime = 0.5 }));
        StringAssert.Contains(order.Message, "t_start_time");
        StringAssert.Contains(order.Message, "t_end_time");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Make(new() { TemperatureEndTime = 1.5 }));
        var none = Assert.ThrowsExactly<ArgumentException>(() => Make(new() { KeepFloatLayers = new[] { "conv1", "conv2" } }));
        StringAssert.Contains(none.Message, "No layer");
        var unknown = Assert.ThrowsExactly<ArgumentException>(() => Make(new() { KeepFloatLayers = new[] { "conv9" } }));
        StringAssert.Contains(unknown.Message, "conv9");
    }

    [TestMethod]
    public void LayerChoiceFollowsTheOptions()
    {
        NetworkGraph start = TestModels.LeNetWithBatchNorm;
        var defaults = new SlbQuantizer.Options().Selection.Select(start, "KeepFloatLayers");
        CollectionAssert.AreEqual(new[] { "conv1", "conv2" }, defaults.ToArray());
        var withLinear = new SlbQuantizer.Options { QuantizeLinearLayers = true, QuantizeFirstLayer = false }.Selection.Select(start, "KeepFloatLayers");
        CollectionAssert.AreEqual(new[] { "conv2", "fc1", "fc2" }, withLinear.ToArray(), "first layer float, last (classifier) float by default");
        var all = new SlbQuantizer.Options { QuantizeLinearLayers = true, QuantizeLastLayer = true }.Selection.Select(start, "KeepFloatLayers");
        Assert.AreEqual(5, all.Count);
    }

    [TestMethod]
    public void BatchNormCalibrationAveragesTheBatchStatistics()
    {
        LabeledDataset data = TestData.MnistArrays(MnistSplit.Train, 512);
        using var module = new GraphModule(TestModels.LeNetWithBatchNorm);
        Assert.AreEqual(2, BatchNormCalibration.Recalibrate(module, data, rows: 512, batchSize: 128));
        // bn1's input is conv1's output: its mean per channel over all 512 images equals the average of the 4 batch means.
        using var x = TorchSharp.torch.tensor(data.ReadRows(0, 512), new long[] { 512, 1, 28, 28 });
        using var y = module.ModuleOf("conv1")!.call(x);
        float[] expected = y.mean(new long[] { 0, 2, 3 }).data<float>().ToArray();
        NetworkGraph calibrated = module.ToGraph();
        float[] actual = calibrated["bn1"].Parameters["running_mean"].Data;
        for (int c = 0; c < expected.Length; c++) Assert.AreEqual(expected[c], actual[c], 1e-4f, $"channel {c}");
        Assert.IsFalse(module.training);
    }

    private sealed class Scored
    {
        public float[] Score { get; set; } = Array.Empty<float>();
    }
}
