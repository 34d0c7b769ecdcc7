using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.ML.Compression.Compressed;
using Microsoft.ML.Compression.Datasets;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Onnx;
using Microsoft.ML.Compression.Onnx.Proto;
using Microsoft.ML.Compression.Quantization;
using Microsoft.ML.Compression.Tests.Onnx;
using Microsoft.ML.Compression.Training;
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

    private static CompressedNetwork Calibrated(NetworkGraph trained, string[]? keepFloat = null) =>
        Calibration.Quantize(trained, TestData.MnistArrays(MnistSplit.Train, 256), CalibrationMethod.MinMax, 99.99, keepFloat, "KeepFloatLayers", () => { });

    [TestMethod]
    public void LeNet5RunsOnIntegerKernelsAndAgreesWithSimulation()
    {
        var ops = AssertAgreement(Calibrated(TestModels.LeNet));
        Assert.AreEqual(2, ops.GetValueOrDefault("QLinearConv"), "both convolutions fused");
        Assert.AreEqual(3, ops.GetValueOrDefault("QGemm"), "all three fully connected layers fused");
        // Between integer convolutions the max pools run on uint8 (ONNX Runtime's NHWC kernel is fast there).
        Assert.IsFalse(ops.ContainsKey("Conv") || ops.ContainsKey("Gemm") || ops.ContainsKey("DequantizeLinear"), string.Join(",", ops.Keys));

        // After a float convolution ONNX Runtime's uint8 max pool is the slow NCHW one: that pool runs in float, between
        // the one dequantize left in the model and the quantize in front of conv2.
        var afterFloat = AssertAgreement(Calibrated(TestModels.LeNet, new[] { "conv1" }));
        Assert.AreEqual(1, afterFloat.GetValueOrDefault("QLinearConv"), string.Join(",", afterFloat.Keys));
        Assert.AreEqual(1, afterFloat.GetValueOrDefault("DequantizeLinear"), string.Join(",", afterFloat.Keys));
    }

    [TestMethod]
    public void AveragePoolingRunsInFloatBetweenIntegerConvolutions()
    {
        var b = new NetworkBuilder("avgpool-net", 1, 28, 28);
        string x = b.ReLU(b.Conv2d(b.Input, 8, 3, padding: 1, name: "conv1"), "relu1");
        x = b.ReLU(b.Conv2d(x, 16, 3, padding: 1, name: "conv2"), "relu2");
        x = b.AvgPool2d(x, 2, name: "pool");
        x = b.ReLU(b.Conv2d(x, 16, 3, padding: 1, name: "conv3"), "relu3");
        NetworkGraph trained = TestWeights.FillRandom(b.Build(b.Linear(b.Flatten(x, "flatten"), 10, name: "fc")), 4);
        var ops = AssertAgreement(Calibrated(trained));
        // ONNX Runtime's uint8 average pooling is far slower than its float one: the export keeps it out of reach of
        // the QLinearAveragePool fusion while the convolutions on both sides stay integer.
        Assert.IsFalse(ops.ContainsKey("QLinearAveragePool"), string.Join(",", ops.Keys));
        Assert.AreEqual(1, ops.GetValueOrDefault("AveragePool"), string.Join(",", ops.Keys));
        Assert.AreEqual(3, ops.GetValueOrDefault("QLinearConv"), "the three convolutions, on both sides of the pool");
    }

    [TestMethod]
    public void ResNet20RunsOnIntegerKernelsAndAgreesWithSimulation()
    {
        var ops = AssertAgreement(Calibrated(TestModels.ResNet20));
        Assert.AreEqual(21, ops.GetValueOrDefault("QLinearConv"), "19 convolutions and 2 downsamples fused (BatchNorm folded)");
        Assert.AreEqual(9, ops.GetValueOrDefault("QLinearAdd"), "every residual Add runs on uint8");
        Assert.AreEqual(1, ops.GetValueOrDefault("QGemm"));
        Assert.IsFalse(ops.ContainsKey("Conv") || ops.ContainsKey("BatchNormalization") || ops.ContainsKey("Add"), string.Join(",", ops.Keys));
    }

    [TestMethod]
    public void ExportStoresInt8WeightsInt32BiasesAndMetadata()
    {
        CompressedNetwork q = Calibrated(TestModels.ResNet20);
        byte[] bytes = OnnxExporter.Export(q, OnnxExportOptions.Default with { Method = "ptq-int8" });
        ModelProto model = ModelProto.Parser.ParseFrom(bytes);
        var initializers = model.Graph.Initializer.ToDictionary(t => t.Name);
        Assert.AreEqual((int)DataType.Int8, StoredWeights.Of(model, "s1b1_conv1").DataType);
        Assert.AreEqual((int)DataType.Int32, StoredWeights.BiasOf(model, "s1b1_conv1").DataType, "folded BN gives the conv an int32 bias");
        Assert.IsFalse(model.Graph.Node.Any(n => n.OpType == "BatchNormalization"));
        Assert.IsFalse(initializers.Values.Any(t => t.DataType == (int)DataType.Float && t.Dims.Count == 4), "no float convolution weights left");

        var info = OnnxModelInfo.Read(bytes);
        Assert.AreEqual("ptq-int8", info.Metadata[OnnxMetadataKeys.Method]);
        Assert.AreEqual("8", info.Metadata[OnnxMetadataKeys.WeightBits]);
        Assert.AreEqual("8", info.Metadata[OnnxMetadataKeys.ActivationBits]);
        StringAssert.Contains(info.Metadata[OnnxMetadataKeys.QuantizedLayers], "s3b3_conv2");
        Assert.IsTrue(bytes.Length < 0.3 * OnnxExporter.Export(TestModels.ResNet20).Length, "int8 file is under 30 % of fp32");
        // Stored bits equal declared bits: one byte per int8 weight, four per int32 bias.
        foreach (var (layer, encoding) in q.Weights)
        {
            Assert.AreEqual(8, encoding.Bits);
            Assert.AreEqual(encoding.Count, StoredWeights.Of(model, layer).RawData.Length, layer);
        }
    }

    [TestMethod]
    public void Int8WeightsLeaveRoomForSixteenBitPairSums()
    {
        // x86 AVX2 without VNNI sums uint8 x int8 products in pairs in int16: 255 (|w1| + |w2|) must stay <= 32,767,
        // so stored weights use ±63, and each channel's largest weight reaches it (the range is used, not wasted).
        ModelProto model = ModelProto.Parser.ParseFrom(OnnxExporter.Export(Calibrated(TestModels.ResNet20)));
        foreach (string layer in new[] { "s1b1_conv1", "s3b3_conv2", "fc" })
        {
            TensorProto stored = StoredWeights.Of(model, layer);
            sbyte[] values = stored.RawData.Select(b => unchecked((sbyte)b)).ToArray();
            int perChannel = values.Length / (int)stored.Dims[0];
            Assert.IsTrue(255 * 2 * values.Max(v => Math.Abs((int)v)) <= short.MaxValue, layer);
            Assert.AreEqual(63, values.Chunk(perChannel).Min(c => c.Max(v => Math.Abs((int)v))), layer);
        }
    }

    [TestMethod]
    public void KeptFloatLayerStaysFloat()
    {
        CompressedNetwork q = Calibrated(TestModels.LeNet, new[] { "conv1" });
        Assert.IsFalse(q.Activations.ContainsKey(NetworkGraph.InputName), "the image feeds only the float layer, so it stays float");
        ModelProto model = ModelProto.Parser.ParseFrom(OnnxExporter.Export(q));
        Assert.IsTrue(model.Graph.Initializer.Any(t => t.Name == "conv1.weight" && t.DataType == (int)DataType.Float));
        Assert.AreEqual((int)DataType.Int8, StoredWeights.Of(model, "conv2").DataType);
        var ops = AssertAgreement(q);
        Assert.AreEqual(1, ops.GetValueOrDefault("QLinearConv"), "ONNX Runtime keeps conv1 in float: " + string.Join(",", ops.Keys));
    }

    /// <summary>
    /// TorchSharp's simulation (<see cref="CompressedNetwork.ToModule"/>) and ONNX Runtime's integer kernels on 1,000
    /// MNIST test images: top-1 agreement of at least 99.5% and every logit within three steps of a uint8 grid over the
    /// logits' range (integer kernels requantize intermediate activations, so single steps may differ along the way).
    /// Returns ORT's optimized operators.
    /// </summary>
    internal static Dictionary<string, int> AssertAgreement(CompressedNetwork q)
    {
        float[] features = TestData.MnistFeatures(MnistSplit.Test, Images);
        float[] simulated;
        using (var module = q.ToModule())
        using (torch.no_grad())
        using (var x = torch.tensor(features, new long[] { Images, 784 }))
        using (var logits = module.call(x))
            simulated = logits.data<float>().ToArray();

        string optimizedPath = Path.Combine(Path.GetTempPath(), $"qdq-{Guid.NewGuid():N}.onnx");
        float[] ort;
        try
        {
            using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_EXTENDED, OptimizedModelFilePath = optimizedPath };
            using (var session = new InferenceSession(OnnxExporter.Export(q), options))
            {
                var input = NamedOnnxValue.CreateFromTensor("Features", new DenseTensor<float>(features, new[] { Images, 784 }));
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
            float step = (simulated.Max() - simulated.Min()) / 255;
            float maxDiff = simulated.Zip(ort, (a, b) => MathF.Abs(a - b)).Max();
            double meanDiff = simulated.Zip(ort, (a, b) => (double)MathF.Abs(a - b)).Average();
            Console.WriteLine($"{q.Graph.Name}: top-1 agreement {agree}/{Images}, max |logit difference| {maxDiff} = {maxDiff / step:F2} steps, mean {meanDiff / step:F3} steps");
            Assert.IsTrue(agree >= Images * 0.995, $"{q.Graph.Name}: top-1 agreement {agree}/{Images}");
            Assert.IsTrue(maxDiff <= 3 * step, $"{q.Graph.Name}: max |logit difference| {maxDiff} is {maxDiff / step:F2} output steps of {step}");
            return ops;
        }
        finally
        {
            File.Delete(optimizedPath);
        }
    }
}
