using System;
using System.Linq;
using Google.Protobuf;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Onnx;
using Microsoft.ML.Compression.Onnx.Import;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using DataType = Microsoft.ML.Compression.Onnx.Proto.TensorProto.Types.DataType;

namespace Microsoft.ML.Compression.Tests.Onnx.Import;

/// <summary>Slice of run-time maps with constant bounds (x[:, 1:3], x[:, :, ::2]); the batch axis may only be taken whole.</summary>
[TestClass]
public class SliceImportTests
{
    private static byte[] Model(long[] starts, long[] ends, long[] axes, long[] steps)
    {
        var random = new Random(5);
        var b = new OnnxGraphBuilder("slice");
        b.AddInput("x", DataType.Float, OnnxGraphBuilder.BatchDimension, 4, 6, 6);
        b.Reserve("logits");
        string y = b.AddNode("Slice", new[] { "x", b.AddInt64("starts", new long[] { starts.Length }, starts), b.AddInt64("ends", new long[] { ends.Length }, ends),
            b.AddInt64("axes", new long[] { axes.Length }, axes), b.AddInt64("steps", new long[] { steps.Length }, steps) }, "slice");
        y = b.AddNode("Flatten", new[] { y }, "flat", OnnxAttributes.Int("axis", 1));
        b.AddNode("MatMul", new[] { y, b.AddFloat("w", new long[] { 36, 3 }, Enumerable.Range(0, 108).Select(_ => (float)random.NextDouble() - 0.5f).ToArray()) },
            new[] { "logits" }, "fc");
        b.AddOutput("logits", DataType.Float, OnnxGraphBuilder.BatchDimension, 3);
        return b.ToModel(13, "test", "1").ToByteArray();
    }

    [TestMethod]
    public void ChannelAndStridedRowSlicesScoreLikeTheFile()
    {
        // Channels 1..2, rows 0, 2, 4 of all columns: 2 * 3 * 6 = 36 features; the batch taken whole up to INT32_MAX.
        NetworkGraph network = ForeignModels.AssertImportKeepsScores(
            Model(new long[] { 0, 1, 0 }, new long[] { int.MaxValue, 3, long.MaxValue }, new long[] { 0, 1, 2 }, new long[] { 1, 1, 2 }), rows: 16);
        Assert.AreEqual(2, network.Layers.OfType<SliceLayer>().Count(), "one layer per sliced axis");
    }

    [TestMethod]
    public void SlicingTheBatchIsRefusedByName()
    {
        byte[] model = Model(new long[] { 1, 0 }, new long[] { int.MaxValue, 2 }, new long[] { 0, 1 }, new long[] { 1, 1 });
        var e = Assert.ThrowsExactly<NotSupportedException>(() => OnnxImporter.Import(model));
        StringAssert.Contains(e.Message, "Slice node 'slice'");
        StringAssert.Contains(e.Message, "batch axis");
    }
}
