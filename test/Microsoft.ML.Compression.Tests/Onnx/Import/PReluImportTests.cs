using System;
using System.Linq;
using Google.Protobuf;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Onnx;
using Microsoft.ML.Compression.Onnx.Import;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using DataType = Microsoft.ML.Compression.Onnx.Proto.TensorProto.Types.DataType;

namespace Microsoft.ML.Compression.Tests.Onnx.Import;

/// <summary>PRelu as PyTorch exports nn.PReLU: a [C,1,1] slope per channel, or one shared slope.</summary>
[TestClass]
public class PReluImportTests
{
    private static byte[] Model(long[] slopeDims)
    {
        var random = new Random(4);
        float[] Values(int n) => Enumerable.Range(0, n).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        var b = new OnnxGraphBuilder("prelu");
        b.AddInput("image", DataType.Float, OnnxGraphBuilder.BatchDimension, 3, 6, 5);
        b.Reserve("logits");
        string x = b.AddNode("Conv", new[] { "image", b.AddFloat("w", new long[] { 4, 3, 3, 3 }, Values(108)) }, "conv", OnnxAttributes.Ints("kernel_shape", 3, 3));
        x = b.AddNode("PRelu", new[] { x, b.AddFloat("slope", slopeDims, Values((int)slopeDims.Aggregate(1L, (a, d) => a * d))) }, "prelu");
        x = b.AddNode("Flatten", new[] { b.AddNode("GlobalAveragePool", new[] { x }, "gap") }, "flat", OnnxAttributes.Int("axis", 1));
        b.AddNode("Gemm", new[] { x, b.AddFloat("fc", new long[] { 3, 4 }, Values(12)) }, new[] { "logits" }, "fc", OnnxAttributes.Int("transB", 1));
        b.AddOutput("logits", DataType.Float, OnnxGraphBuilder.BatchDimension, 3);
        return b.ToModel(13, "test", "1").ToByteArray();
    }

    [TestMethod]
    [DataRow(new long[] { 4, 1, 1 }, 4)]
    [DataRow(new long[] { 1 }, 1)]
    public void PReluScoresLikeTheFile(long[] slopeDims, int slopes)
    {
        NetworkGraph network = ForeignModels.AssertImportKeepsScores(Model(slopeDims), rows: 32);
        Assert.AreEqual(slopes, network.Layers.OfType<PReLULayer>().Single().Slopes);
    }

    [TestMethod]
    public void ASlopePerWidthIsRefusedByName()
    {
        var e = Assert.ThrowsExactly<NotSupportedException>(() => OnnxImporter.Import(Model(new long[] { 4 })));
        StringAssert.Contains(e.Message, "PRelu node 'prelu'");
    }
}
