using System;
using System.Linq;
using Google.Protobuf;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Onnx;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using DataType = Microsoft.ML.Compression.Onnx.Proto.TensorProto.Types.DataType;

namespace Microsoft.ML.Compression.Tests.Onnx.Import;

/// <summary>
/// ReduceMean over H and W, as PyTorch (NCHW, x.mean((2, 3))) and Keras (NHWC, axes 1 and 2) export a global average
/// pool, and GlobalMaxPool.
/// </summary>
[TestClass]
public class SpatialMeanImportTests
{
    [TestMethod]
    [DataRow(false, 0)]
    [DataRow(false, 1)]
    [DataRow(true, 0)]
    [DataRow(true, 1)]
    public void ReduceMeanOverHeightAndWidthScoresLikeTheFile(bool channelsLast, int keepDims)
    {
        var random = new Random(7);
        float[] Values(int n) => Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var b = new OnnxGraphBuilder("mean");
        if (channelsLast) b.AddInput("image", DataType.Float, OnnxGraphBuilder.BatchDimension, 6, 5, 3);
        else b.AddInput("image", DataType.Float, OnnxGraphBuilder.BatchDimension, 3, 6, 5);
        b.Reserve("logits");
        string x = b.AddNode("ReduceMean", new[] { "image" }, "mean",
            OnnxAttributes.Ints("axes", channelsLast ? new long[] { 1, 2 } : new long[] { 2, 3 }), OnnxAttributes.Int("keepdims", keepDims));
        if (keepDims == 1) x = b.AddNode("Flatten", new[] { x }, "flat", OnnxAttributes.Int("axis", 1));
        b.AddNode("Gemm", new[] { x, b.AddFloat("fc", new long[] { 4, 3 }, Values(12)) }, new[] { "logits" }, "fc", OnnxAttributes.Int("transB", 1));
        b.AddOutput("logits", DataType.Float, OnnxGraphBuilder.BatchDimension, 4);

        NetworkGraph network = ForeignModels.AssertImportKeepsScores(b.ToModel(13, "test", "1").ToByteArray(), rows: 32);

        Assert.AreEqual(1, network.Layers.OfType<GlobalAvgPoolLayer>().Count());
        Assert.AreEqual(channelsLast, network.Layers.OfType<TransposeLayer>().Any());
    }

    [TestMethod]
    public void GlobalMaxPoolScoresLikeTheFile()
    {
        var random = new Random(8);
        var b = new OnnxGraphBuilder("max");
        b.AddInput("image", DataType.Float, OnnxGraphBuilder.BatchDimension, 3, 6, 5);
        b.Reserve("logits");
        string x = b.AddNode("GlobalMaxPool", new[] { "image" }, "gmp");
        x = b.AddNode("Flatten", new[] { x }, "flat", OnnxAttributes.Int("axis", 1));
        b.AddNode("Gemm", new[] { x, b.AddFloat("fc", new long[] { 4, 3 }, Enumerable.Range(0, 12).Select(_ => (float)random.NextDouble() - 0.5f).ToArray()) },
            new[] { "logits" }, "fc", OnnxAttributes.Int("transB", 1));
        b.AddOutput("logits", DataType.Float, OnnxGraphBuilder.BatchDimension, 4);
        NetworkGraph network = ForeignModels.AssertImportKeepsScores(b.ToModel(13, "test", "1").ToByteArray(), rows: 32);
        Assert.AreEqual(1, network.Layers.OfType<GlobalMaxPoolLayer>().Count());
    }
}
