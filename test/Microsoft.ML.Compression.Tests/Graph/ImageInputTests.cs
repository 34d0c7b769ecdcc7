using System;
using System.IO;
using System.Linq;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Onnx;
using Microsoft.ML.Compression.Tests.Onnx;
using Microsoft.ML.Data;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Compression.Tests.Graph;

/// <summary>A network's image input: layout and normalization live in the network, survive training and export, and can be read back.</summary>
[TestClass]
public class ImageInputTests
{
    private static readonly ImageInput Normalized = new(3, 8, 8) { Mean = new[] { 100f, 120f, 140f }, Std = new[] { 50f, 60f, 70f } };

    private static NetworkGraph Net(ImageInput input)
    {
        var b = new NetworkBuilder("img", input);
        string x = b.ReLU(b.Conv2d(b.Input, 4, 3, padding: 1, name: "conv"), "relu");
        return b.Build(b.Linear(b.Flatten(b.GlobalAvgPool(x, "gap"), "flat"), 2, name: "fc"));
    }

    private static NetworkGraph WithWeightsOf(NetworkGraph target, NetworkGraph source)
    {
        foreach (string name in new[] { "conv", "fc" })
            foreach (var (p, value) in source[name].Parameters)
                target[name].SetParameter(p, value);
        return target;
    }

    [TestMethod]
    public void OfReadsBackLayoutAndNormalization()
    {
        var input = Normalized with { Layout = PixelLayout.Hwc };
        ImageInput read = ImageInput.Of(Net(input))!;
        Assert.AreEqual(PixelLayout.Hwc, read.Layout);
        Assert.AreEqual((3, 8, 8), (read.Channels, read.Height, read.Width));
        for (int c = 0; c < 3; c++)
        {
            Assert.AreEqual(input.Mean![c], read.Mean![c], 1e-3);
            Assert.AreEqual(input.Std![c], read.Std![c], 1e-3);
        }
        Assert.IsNull(ImageInput.Of(Net(new ImageInput(3, 8, 8)))!.Mean);
        CollectionAssert.AreEqual(new[] { 8, 8, 3 }, Net(input).InputShape, "the graph reads interleaved pixels");
    }

    [TestMethod]
    public void TheNetworkNormalizesRawPixelsInTorchAndInTheExportedModel()
    {
        NetworkGraph plain = TestWeights.FillRandom(Net(new ImageInput(3, 8, 8)), 4);
        NetworkGraph normalizing = WithWeightsOf(Net(Normalized), plain);
        var random = new Random(2);
        float[] raw = Enumerable.Range(0, 5 * 192).Select(_ => (float)random.Next(256)).ToArray();
        // (x - mean) / std computed here, per planar channel, independently of the network.
        float[] normalized = raw.Select((v, i) => (v - Normalized.Mean![i % 192 / 64]) / Normalized.Std![i % 192 / 64]).ToArray();

        float[] expected = TorchLogits.Of(plain, normalized, 5);
        float[] torchRaw = TorchLogits.Of(normalizing, raw, 5);
        Assert.IsTrue(TorchLogits.MaxAbsDifference(expected, torchRaw) < 1e-4);
        float[] ort = OrtRunner.Run(OnnxExporter.Export(normalizing), raw, 5).Logits;
        Assert.IsTrue(TorchLogits.MaxAbsDifference(expected, ort) < 1e-3, "the exported model takes raw pixels");

        // Interleaved input: the same pixels reordered [H,W,C] give the same logits.
        NetworkGraph interleaved = WithWeightsOf(Net(Normalized with { Layout = PixelLayout.Hwc }), plain);
        float[] hwc = new float[raw.Length];
        for (int n = 0; n < 5; n++)
            for (int c = 0; c < 3; c++)
                for (int p = 0; p < 64; p++)
                    hwc[n * 192 + p * 3 + c] = raw[n * 192 + c * 64 + p];
        Assert.IsTrue(TorchLogits.MaxAbsDifference(expected, TorchLogits.Of(interleaved, hwc, 5)) < 1e-4);
        Assert.IsTrue(TorchLogits.MaxAbsDifference(expected, OrtRunner.Run(OnnxExporter.Export(interleaved), hwc, 5).Logits) < 1e-3);
    }

    [TestMethod]
    public void TrainingLeavesTheNormalizationAsStatedAndItSurvivesAReload()
    {
        var ml = new MLContext(3);
        var random = new Random(3);
        var rows = Enumerable.Range(0, 32).Select(i => new Row
        {
            Label = (uint)(i % 2),
            Features = Enumerable.Range(0, 192).Select(j => (float)((j / 64 == i % 2 ? 128 : 0) + random.Next(128))).ToArray(),
        }).ToArray();
        IDataView data = ml.Data.LoadFromEnumerable(rows);
        using var model = ml.Transforms.Compression.Train(Net(Normalized), "Features", "Label", epochs: 2, batchSize: 8).Fit(data);
        ImageInput trained = ImageInput.Of(model.Network)!;
        CollectionAssert.AreEqual(Normalized.Mean!.ToArray(), trained.Mean!.Select(v => MathF.Round(v, 3)).ToArray());
        CollectionAssert.AreEqual(Normalized.Std!.ToArray(), trained.Std!.Select(v => MathF.Round(v, 3)).ToArray());

        string path = Path.Combine(Path.GetTempPath(), $"mlc-imageinput-{Guid.NewGuid():N}.onnx");
        try
        {
            model.SaveOnnx(path);
            ImageInput reloaded = ImageInput.Of(NetworkGraph.FromOnnx(path))!;
            for (int c = 0; c < 3; c++)
            {
                Assert.AreEqual(Normalized.Mean![c], reloaded.Mean![c], 1e-2);
                Assert.AreEqual(Normalized.Std![c], reloaded.Std![c], 1e-2);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void BadDescriptionsNameTheValue()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => new NetworkBuilder("x", new ImageInput(3, 8, 8) { Mean = new[] { 1f, 2f } }));
        StringAssert.Contains(e.Message, "Mean");
        StringAssert.Contains(e.Message, "1 or 3");
        var e2 = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new NetworkBuilder("x", new ImageInput(3, 8, 8) { Std = new[] { 0f } }));
        StringAssert.Contains(e2.Message, "Std");
    }

    private sealed class Row
    {
        [VectorType(192)] public float[] Features { get; set; } = Array.Empty<float>();
        [KeyType(2)] public uint Label { get; set; }
    }
}
