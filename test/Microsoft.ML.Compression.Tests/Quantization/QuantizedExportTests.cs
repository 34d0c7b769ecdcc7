using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.ML.Compression.Datasets;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Onnx;
using Microsoft.ML.Compression.Onnx.Proto;
using Microsoft.ML.Compression.Quantization;
using Microsoft.ML.Compression.Training;
using Microsoft.ML.Compression.Zoo;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;
using DataType = Microsoft.ML.Compression.Onnx.Proto.TensorProto.Types.DataType;

namespace Microsoft.ML.Compression.Tests.Quantization;

/// <summary>The QDQ export: ONNX Runtime fuses it into integer kernels and computes what the TorchSharp simulation computes.</summary>
[TestClass]
public class QuantizedExportTests
{
    private const int Images = 1000;
    private static readonly Lazy<NetworkGraph> TrainedLeNet = new(() => Trained(NetworkZoo.LeNet5(), rows: 6000, epochs: 3));
    private static readonly Lazy<NetworkGraph> TrainedLeNetBn = new(() => Trained(NetworkZoo.LeNet5(batchNorm: true), rows: 1000, epochs: 1));
    private static readonly Lazy<NetworkGraph> TrainedResNet = new(() => Trained(NetworkZoo.ResNet20(), rows: 1000, epochs: 1));

    /// <summary>LeNet-5 trained briefly on real MNIST (shared by the quantization tests).</summary>
    internal static NetworkGraph LeNet => TrainedLeNet.Value;

    /// <summary>LeNet-5 with BatchNorm trained briefly on real MNIST.</summary>
    internal static NetworkGraph LeNetWithBatchNorm => TrainedLeNetBn.Value;

    private static NetworkGraph Trained(NetworkGraph net, int rows, int epochs)
    {
        LabeledDataset train = TestData.MnistArrays(MnistSplit.Train, rows);
        torch.random.manual_seed(0);
        using var module = new GraphModule(net);
        new TrainingLoop(new TrainingOptions { Epochs = epochs, BatchSize = 64 }).Run(module, train);
        return module.ToGraph();
    }

    private static QuantizedNetwork Calibrated(NetworkGraph trained) =>
        Calibration.Quantize(trained, TestData.MnistArrays(MnistSplit.Train, 256), CalibrationMethod.MinMax, 99.99, null, "KeepFloatLayers");

    [TestMethod]
    public void LeNet5RunsOnIntegerKernelsAndAgreesWithSimulation()
    {
        var ops = AssertAgreement(Calibrated(LeNet));
        Assert.AreEqual(2, ops.GetValueOrDefault("QLinearConv"), "both convolutions fused");
        Assert.AreEqual(3, ops.GetValueOrDefault("QGemm"), "all three fully connected layers fused");
        Assert.IsFalse(ops.ContainsKey("Conv") || ops.ContainsKey("Gemm") || ops.ContainsKey("DequantizeLinear"), string.Join(",", ops.Keys));
    }

    [TestMethod]
    public void ResNet20RunsOnIntegerKernelsAndAgreesWithSimulation()
    {
        var ops = AssertAgreement(Calibrated(TrainedResNet.Value));
        Assert.AreEqual(21, ops.GetValueOrDefault("QLinearConv"), "19 convolutions and 2 downsamples fused (BatchNorm folded)");
        Assert.AreEqual(9, ops.GetValueOrDefault("QLinearAdd"), "every residual Add runs on uint8");
        Assert.AreEqual(1, ops.GetValueOrDefault("QGemm"));
        Assert.IsFalse(ops.ContainsKey("Conv") || ops.ContainsKey("BatchNormalization") || ops.ContainsKey("Add"), string.Join(",", ops.Keys));
    }

    [TestMethod]
    public void ExportStoresInt8WeightsInt32BiasesAndMetadata()
    {
        QuantizedNetwork q = Calibrated(TrainedResNet.Value);
        byte[] bytes = OnnxExporter.Export(q, OnnxExportOptions.Default with { Method = "ptq-int8" });
        ModelProto model = ModelProto.Parser.ParseFrom(bytes);
        var initializers = model.Graph.Initializer.ToDictionary(t => t.Name);
        Assert.AreEqual((int)DataType.Int8, initializers["s1b1_conv1.weight_quantized"].DataType);
        Assert.AreEqual((int)DataType.Int32, initializers["s1b1_conv1.bias_quantized"].DataType, "folded BN gives the conv an int32 bias");
        Assert.IsFalse(model.Graph.Node.Any(n => n.OpType == "BatchNormalization"));
        Assert.IsFalse(initializers.Values.Any(t => t.DataType == (int)DataType.Float && t.Dims.Count == 4), "no float convolution weights left");

        var info = OnnxModelInfo.Read(bytes);
        Assert.AreEqual("ptq-int8", info.Metadata[OnnxMetadataKeys.Method]);
        Assert.AreEqual("8", info.Metadata[OnnxMetadataKeys.WeightBits]);
        Assert.AreEqual("8", info.Metadata[OnnxMetadataKeys.ActivationBits]);
        StringAssert.Contains(info.Metadata[OnnxMetadataKeys.QuantizedLayers], "s3b3_conv2");
        Assert.IsTrue(bytes.Length < 0.3 * OnnxExporter.Export(TrainedResNet.Value).Length, "int8 file is under 30 % of fp32");
    }

    [TestMethod]
    public void KeptFloatLayerStaysFloat()
    {
        QuantizedNetwork q = Calibration.Quantize(LeNet, TestData.MnistArrays(MnistSplit.Train, 128), CalibrationMethod.MinMax, 99.99, new[] { "conv1" }, "KeepFloatLayers");
        Assert.IsFalse(q.Activations.ContainsKey(NetworkGraph.InputName), "the image feeds only the float layer, so it stays float");
        ModelProto model = ModelProto.Parser.ParseFrom(OnnxExporter.Export(q));
        Assert.IsTrue(model.Graph.Initializer.Any(t => t.Name == "conv1.weight" && t.DataType == (int)DataType.Float));
        Assert.IsTrue(model.Graph.Initializer.Any(t => t.Name == "conv2.weight_quantized"));
        var ops = AssertAgreement(q);
        Assert.AreEqual(1, ops.GetValueOrDefault("QLinearConv"), "ONNX Runtime keeps conv1 in float: " + string.Join(",", ops.Keys));
    }

    /// <summary>Top-1 agreement of TorchSharp's simulation and ONNX Runtime on 1,000 MNIST test images; returns ORT's optimized operators.</summary>
    internal static Dictionary<string, int> AssertAgreement(QuantizedNetwork q)
    {
        LabeledDataset test = TestData.MnistArrays(MnistSplit.Test, Images);
        float[] simulated;
        using (var module = q.ToModule())
        using (torch.no_grad())
        using (var x = torch.tensor(test.Features, new long[] { Images, 784 }))
        using (var logits = module.call(x))
            simulated = logits.data<float>().ToArray();

        string optimizedPath = Path.Combine(Path.GetTempPath(), $"qdq-{Guid.NewGuid():N}.onnx");
        float[] ort;
        try
        {
            using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_EXTENDED, OptimizedModelFilePath = optimizedPath };
            using (var session = new InferenceSession(OnnxExporter.Export(q), options))
            {
                var input = NamedOnnxValue.CreateFromTensor("Features", new DenseTensor<float>(test.Features, new[] { Images, 784 }));
                using var results = session.Run(new[] { input }, new[] { OnnxExporter.LogitsOutput });
                ort = results.First().AsEnumerable<float>().ToArray();
            }
            var ops = ModelProto.Parser.ParseFrom(File.ReadAllBytes(optimizedPath)).Graph.Node
                .GroupBy(n => n.OpType).ToDictionary(g => g.Key, g => g.Count());

            int agree = 0;
            for (int n = 0; n < Images; n++)
            {
                var a = simulated.AsSpan(n * 10, 10).ToArray();
                var b = ort.AsSpan(n * 10, 10).ToArray();
                if (Array.IndexOf(a, a.Max()) == Array.IndexOf(b, b.Max())) agree++;
            }
            Assert.IsTrue(agree >= Images * 0.995, $"{q.Graph.Name}: top-1 agreement {agree}/{Images}");
            return ops;
        }
        finally
        {
            File.Delete(optimizedPath);
        }
    }
}
