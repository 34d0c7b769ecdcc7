using System;
using System.Collections.Generic;
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
using Microsoft.ML.Compression.Zoo;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;
using DataType = Microsoft.ML.Compression.Onnx.Proto.TensorProto.Types.DataType;

namespace Microsoft.ML.Compression.Tests.Estimators;

/// <summary>
/// QuantizeAwareTraining with per-layer weight bits (LayerWeightBits): option checks, each layer stored at its width in
/// one ONNX model, ONNX Runtime and ML.NET agreeing with TorchSharp, sizes, and an all-8 map giving the int8 model.
/// A small LeNet-5 (two float epochs on 1,024 MNIST rows, then one epoch on 512 per fit) keeps it fast.
/// </summary>
[TestClass]
public class MixedPrecisionTests
{
    private const int Rows = 512;
    private static readonly string[] WeightLayers = { "conv1", "conv2", "fc1", "fc2", "fc3" };
    private static readonly Dictionary<string, int> MixedBits = new() { ["conv1"] = 8, ["conv2"] = 2, ["fc1"] = 4 };
    private static readonly Dictionary<string, CompressedModelTransformer> Models = new();
    private static NetworkGraph _start = null!, _startBn = null!;
    private static IDataView _train = null!;

    [ClassInitialize]
    public static void FitOnce(TestContext context)
    {
        torch.random.manual_seed(0);
        using (var module = new GraphModule(NetworkZoo.LeNet5()))
        {
            new TrainingLoop(new TrainingOptions { Epochs = 2, BatchSize = 32, Optimizer = OptimizerKind.Adam, LearningRate = 0.002 }).Run(module, TestData.MnistArrays(MnistSplit.Train, 2 * Rows));
            _start = module.ToGraph();
        }
        using (var module = new GraphModule(NetworkZoo.LeNet5(batchNorm: true)))
        {
            new TrainingLoop(new TrainingOptions { Epochs = 1, BatchSize = 32, Optimizer = OptimizerKind.Adam, LearningRate = 0.002 }).Run(module, TestData.MnistArrays(MnistSplit.Train, 2 * Rows));
            _startBn = module.ToGraph();
        }
        _train = TestData.Mnist(TestModels.Ml, MnistSplit.Train, Rows);

        Models["mixed"] = Fit(new() { LayerWeightBits = new(MixedBits), ActivationBits = 32 });
        Models["mixed-bn"] = Fit(new() { LayerWeightBits = new(MixedBits), ActivationBits = 32 }, _startBn);
        Models["w2"] = Fit(new() { WeightBits = 2, LayerWeightBits = new() { ["fc1"] = 2, ["fc2"] = 2, ["fc3"] = 2 }, ActivationBits = 32 });
        // The int8 model with every layer int8 (LeNet's convolutions would otherwise stay float for speed).
        Models["int8"] = Fit(new() { Latency = new() { KeepSlowLayersFloat = false } });
        Models["int8-map"] = Fit(new() { LayerWeightBits = new() { ["conv1"] = 8, ["fc1"] = 8 }, Latency = new() { KeepSlowLayersFloat = false } });
    }

    private static CompressedModelTransformer Fit(QuantizeAwareTrainer.Options options, NetworkGraph? start = null)
    {
        options.Epochs = 1;
        options.BatchSize = 32;
        options.LearningRate = 0.001;
        options.Optimizer = OptimizerKind.Adam;
        return TestModels.Compression.QuantizeAwareTraining(start ?? _start, options).Fit(_train);
    }

    [ClassCleanup]
    public static void Cleanup()
    {
        foreach (var m in Models.Values) m.Dispose();
    }

    private static long WeightCount(string layer) => _start[layer].ParameterShape("weight").Aggregate(1L, (a, d) => a * d);

    /// <summary>Bytes of the weights stored at <paramref name="bits"/> per layer, from the shapes alone.</summary>
    private static long StoredBytes(IReadOnlyDictionary<string, int> bits) => bits.Sum(e => (WeightCount(e.Key) * e.Value + 7) / 8);

    [TestMethod]
    public void BadLayerWeightBitsAreRefusedWithTheLayerName()
    {
        var c = TestModels.Compression;
        QuantizeAwareTrainer Make(QuantizeAwareTrainer.Options o) => c.QuantizeAwareTraining(_start, o);

        var width = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Make(new() { LayerWeightBits = new() { ["conv2"] = 3 }, ActivationBits = 32 }));
        Assert.AreEqual("LayerWeightBits", width.ParamName);
        StringAssert.Contains(width.Message, "'conv2'");
        StringAssert.Contains(width.Message, "8 (int8) or 1, 2 or 4");

        var unknown = Assert.ThrowsExactly<ArgumentException>(() => Make(new() { LayerWeightBits = new() { ["conv9"] = 2 }, ActivationBits = 32 }));
        Assert.AreEqual("LayerWeightBits", unknown.ParamName);
        StringAssert.Contains(unknown.Message, "'conv9'");
        StringAssert.Contains(unknown.Message, "conv1 (Conv2d), conv2 (Conv2d), fc1 (Linear), fc2 (Linear), fc3 (Linear)");

        var noWeights = Assert.ThrowsExactly<ArgumentException>(() => Make(new() { LayerWeightBits = new() { ["relu1"] = 4 }, ActivationBits = 32 }));
        StringAssert.Contains(noWeights.Message, "'relu1'");
        StringAssert.Contains(noWeights.Message, "fc3 (Linear)");

        var activations = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Make(new() { LayerWeightBits = new() { ["conv2"] = 2 } }));
        Assert.AreEqual("ActivationBits", activations.ParamName);
        StringAssert.Contains(activations.Message, "must be 32");

        var kept = Assert.ThrowsExactly<ArgumentException>(() => Make(new() { LayerWeightBits = new() { ["conv2"] = 2 }, ActivationBits = 32, KeepFloatLayers = new[] { "conv2" } }));
        StringAssert.Contains(kept.Message, "'conv2'");
        StringAssert.Contains(kept.Message, "KeepFloatLayers");

        var empty = Assert.ThrowsExactly<ArgumentException>(() => Make(new() { LayerWeightBits = new() { [" "] = 2 }, ActivationBits = 32 }));
        Assert.AreEqual("LayerWeightBits", empty.ParamName);
        Assert.ThrowsExactly<ArgumentNullException>(() => Make(new() { LayerWeightBits = null! }));

        // Accepted: all widths below 8 with uint8 activations (the low-bit model), and 8-bit weights with float activations when mixed.
        Make(new() { WeightBits = 2, LayerWeightBits = new() { ["conv2"] = 4 }, ActivationBits = 8 });
        Make(new() { WeightBits = 2, LayerWeightBits = new() { ["fc1"] = 8 }, ActivationBits = 32 });
    }

    [TestMethod]
    public void EachLayerIsStoredAtItsWidth()
    {
        CompressedModelTransformer model = Models["mixed"];
        var expected = new Dictionary<string, int> { ["conv1"] = 8, ["conv2"] = 2, ["fc1"] = 4, ["fc2"] = 8, ["fc3"] = 8 };
        CollectionAssert.AreEquivalent(expected.ToArray(), model.Compressed.WeightBitsByLayer.ToArray());
        Assert.AreEqual(0, model.Compressed.Activations.Count, "weight-only: float activations");

        ModelProto onnx = ModelProto.Parser.ParseFrom(model.OnnxModel);
        Assert.AreEqual(25, onnx.OpsetImport.Single().Version, "INT2 needs opset 25");
        Assert.IsFalse(onnx.Graph.Node.Any(n => n.OpType == "QuantizeLinear"));
        var types = new Dictionary<int, DataType> { [8] = DataType.Int8, [4] = DataType.Int4, [2] = DataType.Int2 };
        foreach (var (layer, bits) in expected)
        {
            TensorProto stored = StoredWeights.Of(onnx, layer);
            Assert.AreEqual((int)types[bits], stored.DataType, layer);
            Assert.AreEqual((WeightCount(layer) * bits + 7) / 8, stored.RawData.Length, $"{layer}: {bits} bits per weight");
        }
        Assert.IsFalse(onnx.Graph.Initializer.Any(t => t.DataType == (int)DataType.Float && t.Dims.Count >= 2 && t.Dims[1] > 1), "no float weight matrix");

        var info = OnnxModelInfo.Read(model.OnnxModel);
        Assert.AreEqual("ste-mixed-w2-4-8", info.Metadata[OnnxMetadataKeys.Method]);
        Assert.AreEqual("2,4,8", info.Metadata[OnnxMetadataKeys.WeightBits]);
        Assert.AreEqual("32", info.Metadata[OnnxMetadataKeys.ActivationBits]);
        Assert.AreEqual(string.Join(",", WeightLayers), info.Metadata[OnnxMetadataKeys.QuantizedLayers]);

        // The report gives each layer's bits.
        foreach (var (layer, bits) in expected)
            Assert.AreEqual(bits, model.Report.Layers.Single(l => l.Name == layer).WeightBits, layer);
        Assert.AreEqual(1, model.Report.History.Count);
        Assert.IsTrue(double.IsFinite(model.Report.History[0].TrainLoss));
        Console.WriteLine(model.Report);
    }

    [TestMethod]
    public void OnnxRuntimeAndMLNetScoreLikeTorchSharp()
    {
        foreach (string name in new[] { "mixed", "mixed-bn", "w2" })
        {
            CompressedModelTransformer model = Models[name];
            float[] images = TestData.MnistFeatures(MnistSplit.Test, 256);
            float[] expected = TorchLogits.Of(model.Compressed, images, 256);
            float[] ort = OrtRunner.Run(model.OnnxModel, images, 256).Logits;
            float maxDiff = TorchLogits.MaxAbsDifference(expected, ort);
            Assert.IsTrue(maxDiff <= 1e-4f, $"{name}: ONNX Runtime max |logit difference| {maxDiff}");

            // ML.NET's OnnxTransformer, through the fitted transformer.
            var scores = TestModels.Ml.Data.CreateEnumerable<Scored>(model.Transform(TestData.Mnist(TestModels.Ml, MnistSplit.Test, 256)), reuseRowObject: false).ToArray();
            for (int row = 0; row < 256; row++)
            {
                float[] logits = expected.Skip(row * 10).Take(10).ToArray();
                float max = logits.Max(), sum = logits.Sum(l => MathF.Exp(l - max));
                for (int k = 0; k < 10; k++)
                    Assert.AreEqual(MathF.Exp(logits[k] - max) / sum, scores[row].Score[k], 1e-4f, $"{name}: row {row} class {k}");
            }
            double accuracy = TestModels.Accuracy(model), start = TestModels.Accuracy(name == "mixed-bn" ? _startBn : _start);
            Console.WriteLine($"{name}: accuracy {accuracy:F3} (fp32 start {start:F3}), max |logit difference| {maxDiff}");
            if (name.StartsWith("mixed", StringComparison.Ordinal)) Assert.IsTrue(accuracy >= start - 0.05, $"mixed accuracy {accuracy} vs the fp32 start's {start}");
        }
    }

    [TestMethod]
    public void TrainingComputesWhatTheExportStores()
    {
        // Each layer fake-quantized at its own width while training, BatchNorm unfolded: the training module in eval
        // mode computes what the exported description does, with each BatchNorm folded into the weights before it.
        var layers = new[] { ("conv1", 8), ("conv2", 2), ("fc1", 4), ("fc2", 8), ("fc3", 1) };
        using var model = new LowBitTrainingModel(_startBn, layers, false, (layer, module, bits, scales) => new SteWeightModule(layer, module, bits, scales));
        float[] images = TestData.MnistFeatures(MnistSplit.Test, 64);
        float[] training = TorchLogits.Of(model.Module, images, 64);
        CompressedNetwork exported = model.Finish();
        float[] stored = TorchLogits.Of(exported, images, 64);
        float maxDiff = TorchLogits.MaxAbsDifference(training, stored);
        Assert.IsTrue(maxDiff <= 1e-4f, $"training vs exported max |logit difference| {maxDiff}");
        Assert.IsTrue(TorchLogits.MaxAbsDifference(TorchLogits.Of(_startBn, images, 64), stored) > 1e-2f, "the weights are quantized");
        CollectionAssert.AreEquivalent(layers.Select(l => new KeyValuePair<string, int>(l.Item1, l.Item2)).ToArray(), exported.WeightBitsByLayer.ToArray());
        Assert.AreEqual(2, _startBn.Layers.OfType<BatchNorm2dLayer>().Count());
        Assert.AreEqual(0, exported.Graph.Layers.OfType<BatchNorm2dLayer>().Count(), "BatchNorm folds into the weights");
        Assert.IsInstanceOfType<Int8Weights>(exported.Weights["conv1"]);
        Assert.IsInstanceOfType<LevelWeights>(exported.Weights["conv2"]);
    }

    [TestMethod]
    public void BatchNormFoldsIntoTheMixedExportsWeights()
    {
        ModelProto onnx = ModelProto.Parser.ParseFrom(Models["mixed-bn"].OnnxModel);
        Assert.AreEqual(0, onnx.Graph.Node.Count(n => n.OpType == "BatchNormalization"));
        Assert.IsTrue(onnx.Graph.Node.Where(n => n.OpType == "Conv").All(n => n.Input.Count == 3), "each convolution gains its BatchNorm's shift as a bias");
        Assert.AreEqual((int)DataType.Int8, StoredWeights.Of(onnx, "conv1").DataType);
        Assert.AreEqual((int)DataType.Int2, StoredWeights.Of(onnx, "conv2").DataType);
        Assert.AreEqual((int)DataType.Int4, StoredWeights.Of(onnx, "fc1").DataType);
    }

    [TestMethod]
    public void MixedModelIsSmallerThanInt8AndLargerThanTwoBit()
    {
        var bits = new Dictionary<string, Dictionary<string, int>>
        {
            ["int8"] = WeightLayers.ToDictionary(l => l, _ => 8),
            ["mixed"] = new() { ["conv1"] = 8, ["conv2"] = 2, ["fc1"] = 4, ["fc2"] = 8, ["fc3"] = 8 },
            ["w2"] = WeightLayers.ToDictionary(l => l, _ => 2),
        };
        foreach (var (name, layerBits) in bits)
        {
            CollectionAssert.AreEquivalent(layerBits.ToArray(), Models[name].Compressed.WeightBitsByLayer.ToArray(), name);
            Assert.AreEqual(StoredBytes(layerBits), Models[name].Report.QuantizedWeightBytes, name);
            Console.WriteLine($"{name}: weights {StoredBytes(layerBits):N0} bytes, ONNX {Models[name].Report.OnnxBytes:N0} bytes (fp32 {Models[name].Report.Fp32OnnxBytes:N0})");
        }
        long int8 = Models["int8"].OnnxModel.Length, mixed = Models["mixed"].OnnxModel.Length, w2 = Models["w2"].OnnxModel.Length;
        Assert.IsTrue(int8 > mixed && mixed > w2, $"ONNX bytes: int8 {int8}, mixed {mixed}, 2-bit {w2}");
        Assert.IsTrue(StoredBytes(bits["int8"]) > StoredBytes(bits["mixed"]) && StoredBytes(bits["mixed"]) > StoredBytes(bits["w2"]));
    }

    [TestMethod]
    public void AllEightBitMapGivesTheInt8Model()
    {
        CompressedModelTransformer int8 = Models["int8"], map = Models["int8-map"];
        Assert.AreEqual("simqat-int8", map.Report.Method);
        Assert.IsTrue(map.Compressed.Activations.Count > 0, "uint8 activations, as WeightBits 8");
        Assert.IsTrue(map.Compressed.Weights.Values.All(w => w is Int8Weights));
        CollectionAssert.AreEqual(int8.OnnxModel, map.OnnxModel, "the same model, byte for byte");
    }

    private sealed class Scored
    {
        public float[] Score { get; set; } = Array.Empty<float>();
    }
}
