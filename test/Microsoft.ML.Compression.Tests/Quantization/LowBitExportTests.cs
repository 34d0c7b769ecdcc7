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
}
