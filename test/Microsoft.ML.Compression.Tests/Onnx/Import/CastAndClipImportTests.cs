using System;
using System.Linq;
using Google.Protobuf;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Onnx;
using Microsoft.ML.Compression.Onnx.Import;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using DataType = Microsoft.ML.Compression.Onnx.Proto.TensorProto.Types.DataType;

namespace Microsoft.ML.Compression.Tests.Onnx.Import;

/// <summary>tf2onnx's Cast of float tensors to FLOAT, and Clip to bounds other than ReLU's and ReLU6's (PyTorch's Hardtanh).</summary>
[TestClass]
public class CastAndClipImportTests
{
    private static byte[] Model(long castTo, int opset)
    {
        var random = new Random(9);
        var b = new OnnxGraphBuilder("clip");
        b.AddInput("x", DataType.Float, OnnxGraphBuilder.BatchDimension, 12);
        b.Reserve("logits");
        string y = b.AddNode("Cast", new[] { "x" }, "cast", OnnxAttributes.Int("to", castTo));
        y = b.AddNode("Gemm", new[] { y, b.AddFloat("w1", new long[] { 8, 12 }, Enumerable.Range(0, 96).Select(_ => (float)random.NextDouble() * 2 - 1).ToArray()) },
            "fc1", OnnxAttributes.Int("transB", 1));
        y = opset >= 11
            ? b.AddNode("Clip", new[] { y, b.AddInitializer(OnnxTensors.FloatScalar("lo", -1f)), b.AddInitializer(OnnxTensors.FloatScalar("hi", 1f)) }, "hardtanh")
            : b.AddNode("Clip", new[] { y }, "hardtanh", OnnxAttributes.Float("min", -1f), OnnxAttributes.Float("max", 1f));
        b.AddNode("Gemm", new[] { y, b.AddFloat("w2", new long[] { 3, 8 }, Enumerable.Range(0, 24).Select(_ => (float)random.NextDouble() * 2 - 1).ToArray()) },
            new[] { "logits" }, "fc2", OnnxAttributes.Int("transB", 1));
        b.AddOutput("logits", DataType.Float, OnnxGraphBuilder.BatchDimension, 3);
        return b.ToModel(13, "test", "1").ToByteArray();
    }

    [TestMethod]
    public void CastToFloatIsAnIdentityAndHardtanhIsAClip()
    {
        NetworkGraph network = ForeignModels.AssertImportKeepsScores(Model((long)DataType.Float, 13), rows: 32);
        var clip = network.Layers.OfType<ClipLayer>().Single();
        Assert.AreEqual((-1f, 1f), (clip.Min, clip.Max));
    }

    [TestMethod]
    public void CastOfARunTimeTensorToIntegersIsRefusedByName()
    {
        var e = Assert.ThrowsExactly<NotSupportedException>(() => OnnxImporter.Import(Model((long)DataType.Int64, 13)));
        StringAssert.Contains(e.Message, "Cast node 'cast'");
        StringAssert.Contains(e.Message, "INT64");
    }
}
