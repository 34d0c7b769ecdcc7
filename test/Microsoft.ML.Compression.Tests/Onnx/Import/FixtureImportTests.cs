using System.IO;
using System.Linq;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Onnx.Proto;
using Microsoft.ML.Compression.Onnx;
using Microsoft.ML.Compression.Onnx.Import;
using Microsoft.ML.Compression.Pruning;
using Microsoft.ML.Compression.Tests.Fixtures;
using Microsoft.ML.Compression.Tests.Pruning;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Compression.Tests.Onnx.Import;

/// <summary>
/// The committed files of real exporters (PyTorch at opsets 9-14, a Keras-style graph written with onnx.helper):
/// each imports, and written back by the library's fp32 writer scores like the file in ONNX Runtime on 256 real
/// images; the structures pruning relies on come through.
/// </summary>
[TestClass]
public class FixtureImportTests
{
    public static System.Collections.Generic.IEnumerable<object[]> Fixtures => OnnxFixtures.NameRows;

    private static byte[] Bytes(string name) => File.ReadAllBytes(OnnxFixtures.Get(name).Path);

    [TestMethod]
    public void AllFixturesAreListed() =>
        Assert.IsTrue(OnnxFixtures.Names.Count >= 5, string.Join(", ", OnnxFixtures.Names));

    [TestMethod]
    [DynamicData(nameof(Fixtures))]
    public void EveryFixtureImportsAndScoresLikeTheFile(string name)
    {
        var fixture = OnnxFixtures.Get(name);
        NetworkGraph network = ForeignModels.AssertImportKeepsScores(Bytes(name), rows: 256, mean: fixture.Mean, std: fixture.Std, realImages: true);
        Assert.AreEqual(10, network.ClassCount);
        Assert.AreEqual(784, network.InputSize);
        Assert.IsTrue(network.HasWeights);
        // What the library writes reads back to the same network, so compression can go on from a saved model.
        NetworkGraph again = OnnxImporter.Import(OnnxExporter.Export(network));
        CollectionAssert.AreEqual(network.Layers.Select(l => l.ToString()).ToArray(), again.Layers.Select(l => l.ToString()).ToArray(),
            string.Join(" | ", network.Layers) + "  VERSUS  " + string.Join(" | ", again.Layers));
        ImportChecks.AssertParameters(again, (layer, p) => network[layer].Parameters[p].Data);
    }

    [TestMethod]
    [DynamicData(nameof(Fixtures))]
    public void InspectSaysEveryFixtureCanBeCompressed(string name)
    {
        OnnxImportReport report = OnnxImport.Inspect(OnnxFixtures.Get(name).Path);
        Assert.IsTrue(report.CanImport, report.ToString());
        Assert.AreEqual(0, report.UnsupportedOperators.Count, report.ToString());
        Assert.AreEqual(OnnxFixtures.Get(name).Layout, report.InputLayout, report.ToString());
        if (name == "lenet_bn_opset9") Assert.AreEqual("1", report.Input!.BatchDimension, "a fixed batch of 1");
        if (name == "keras_nhwc") Assert.AreEqual("unk__6", report.Input!.BatchDimension, "the symbolic batch keeps its name");
    }

    [TestMethod]
    [DataRow("keras_nhwc")]
    [DataRow("lenet_bn_opset9")]
    [DataRow("resnet18_fashion")]
    public void ImportOnnxKeepsTheInputContractAndScoresThroughMlNetLikeTheFile(string name)
    {
        var fixture = OnnxFixtures.Get(name);
        var ml = new MLContext(seed: 0);
        using var imported = ml.Transforms.Compression.ImportOnnx(fixture.Path);

        // The exported model declares the original's input: layout, and the batch fixed or under its symbolic name.
        static string[] Dims(byte[] model)
        {
            var proto = ModelProto.Parser.ParseFrom(model);
            var initializers = proto.Graph.Initializer.Select(t => t.Name).ToHashSet();
            return proto.Graph.Input.Single(i => !initializers.Contains(i.Name)).Type.TensorType.Shape.Dim
                .Select(d => d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue ? d.DimValue.ToString() : d.DimParam).ToArray();
        }
        CollectionAssert.AreEqual(Dims(Bytes(name)), Dims(imported.OnnxModel));

        // A feature column of the flattened, normalized images feeds it through ML.NET as it fed the file.
        const int rows = 64;
        float[] features = TestData.MnistFeatures(Microsoft.ML.Compression.Datasets.MnistSplit.Test, rows).Select(v => (v - fixture.Mean) / fixture.Std).ToArray();
        IDataView data = ml.Data.LoadFromEnumerable(Enumerable.Range(0, rows).Select(r => new Row { Features = features.Skip(r * 784).Take(784).ToArray() }));
        float[] scores = ml.Data.CreateEnumerable<Scored>(imported.Transform(data), reuseRowObject: false).SelectMany(p => p.Score).ToArray();
        float[] expected = ForeignModels.Probabilities(Bytes(name), features, rows);
        Assert.IsTrue(TorchLogits.MaxAbsDifference(expected, scores) <= 1e-4f, $"{name}: {TorchLogits.MaxAbsDifference(expected, scores)}");
    }

    private sealed class Row
    {
        [Microsoft.ML.Data.VectorType(784)] public float[] Features { get; set; } = System.Array.Empty<float>();
    }

    private sealed class Scored
    {
        public float[] Score { get; set; } = System.Array.Empty<float>();
    }

    [TestMethod]
    public void KerasNhwcKeepsItsLayoutAndPrunesThroughTheTransposeBeforeFlatten()
    {
        NetworkGraph network = OnnxImporter.Import(Bytes("keras_nhwc"));
        CollectionAssert.AreEqual(new[] { 28, 28, 1 }, network.InputShape, "the feature column is the NHWC image flattened");
        Assert.IsInstanceOfType(network.Layers[0], typeof(TransposeLayer));
        var deps = new ChannelDependencies(network);
        var convs = network.Layers.OfType<Conv2dLayer>().Select(c => c.Name).ToArray();
        Assert.AreEqual(2, convs.Length);
        foreach (string conv in convs)
            Assert.IsTrue(deps.Groups.Any(g => g.Layers.Contains(conv)), $"{conv} is prunable: {string.Join("; ", deps.SkippedLayers.Select(kv => kv.Key + ": " + kv.Value))}");
        PruningTestNets.AssertPrunedEqualsMaskedAndExports(deps, 0.3, seed: 1, tolerance: 1e-3f);
    }

    [TestMethod]
    public void ResNetResidualChannelsArePrunedTogether()
    {
        NetworkGraph network = OnnxImporter.Import(Bytes("resnet18_fashion"));
        var deps = new ChannelDependencies(network);
        Assert.IsTrue(network.Layers.OfType<AddLayer>().Count() >= 8);
        Assert.IsTrue(deps.Channels.Any(c => c.Filters.Select(f => f.Layer).Distinct().Count() > 1), "a residual channel couples several convolutions");
        PruningTestNets.AssertPrunedEqualsMaskedAndExports(deps, 0.3, seed: 1, tolerance: 1e-3f);
    }

    [TestMethod]
    public void ViewFlattenFoldsItsShapeChainAndBatchNormSurvivesOpset9()
    {
        NetworkGraph view = OnnxImporter.Import(Bytes("view_flatten"));
        Assert.IsTrue(view.Layers.OfType<FlattenLayer>().Any());
        Assert.IsFalse(view.Layers.OfType<ReshapeLayer>().Any(), "x.view(x.size(0), -1) is a flatten");
        NetworkGraph lenet = OnnxImporter.Import(Bytes("lenet_bn_opset9"));
        Assert.IsTrue(lenet.Layers.OfType<BatchNorm2dLayer>().Count() >= 2, "BatchNormalization nodes stay layers (slimming reads their scales)");
    }
}
