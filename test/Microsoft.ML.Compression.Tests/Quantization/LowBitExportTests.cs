using System;
using System.Linq;
using Microsoft.ML.Compression.Compressed;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Onnx;
using Microsoft.ML.Compression.Quantization;
using Microsoft.ML.Compression.Quantization.LowBit;
using Microsoft.ML.Compression.Tests.Onnx;
using Microsoft.ML.Compression.Zoo;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;

namespace Microsoft.ML.Compression.Tests.Quantization;

/// <summary>Sub-byte ONNX of every bit width scores in ONNX Runtime as the TorchSharp model does (stored types, sizes and ML.NET: SlbEstimatorTests).</summary>
[TestClass]
public class LowBitExportTests
{
    private const int Images = 256;

    /// <summary>Every Conv2d and Linear layer of <paramref name="graph"/> rounded to the nearest level.</summary>
    internal static CompressedNetwork RoundAll(NetworkGraph graph, int bits, bool linear = true) =>
        new(graph, graph.Layers.Where(l => l is Conv2dLayer || (linear && l is LinearLayer)).ToDictionary(l => l.Name,
            l => (WeightEncoding)LevelWeights.RoundToNearest(bits, l.ParameterShape("weight"), l.Parameters["weight"].Data)));

    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    [DataRow(4)]
    public void OnnxRuntimeMatchesTorchSharpOnLeNetWithBatchNorm(int bits)
    {
        NetworkGraph trained = TestModels.LeNetWithBatchNorm;
        CompressedNetwork network = RoundAll(trained, bits);
        byte[] onnx = OnnxExporter.Export(network);
        float[] images = TestData.MnistFeatures(Microsoft.ML.Compression.Datasets.MnistSplit.Test, Images);

        OrtRunner.Result ort = OrtRunner.Run(onnx, images, Images);
        float[] expected = TorchLogits.Of(network, images, Images);
        float maxDiff = TorchLogits.MaxAbsDifference(expected, ort.Logits);
        Assert.IsTrue(maxDiff <= 1e-4f, $"max |logit difference| {maxDiff} for {bits}-bit weights");
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    [DataRow(4)]
    [DataRow(8)]
    public void OnnxRuntimeFoldsTheWeightDecodingAwayAtLoad(int bits)
    {
        // ONNX Runtime keeps a DequantizeLinear unfolded for its QDQ fusions; a weight decoded at every call leaves the
        // convolution without a constant weight and runs at about half the float model's speed. Once the decoding folds,
        // the optimized graph is the float model's. 8: weight-only int8 on every other layer, 2 bits on the rest.
        NetworkGraph trained = TestModels.LeNetWithBatchNorm;
        CompressedNetwork network = RoundAll(trained, bits == 8 ? 2 : bits);
        if (bits == 8)
        {
            var weights = network.Weights.ToDictionary(e => e.Key, e => e.Value);
            string[] every2nd = weights.Keys.Where((_, i) => i % 2 == 0).ToArray();
            foreach (var (name, encoding) in QuantizationAwareModel.Int8Encodings(trained, every2nd)) weights[name] = encoding;
            network = new CompressedNetwork(trained, weights);
        }
        var lowBit = QdqOverheadTests.OptimizedOps(OnnxExporter.Export(network));
        var fp32 = QdqOverheadTests.OptimizedOps(OnnxExporter.Export(new CompressedNetwork(trained)));
        CollectionAssert.AreEquivalent(fp32.ToArray(), lowBit.ToArray(), $"optimized low-bit graph: {string.Join(", ", lowBit)}; fp32: {string.Join(", ", fp32)}");
    }
}
