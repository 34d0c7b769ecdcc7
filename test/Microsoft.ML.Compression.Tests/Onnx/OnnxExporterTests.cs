using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Onnx;
using Microsoft.ML.Compression.Zoo;
using Microsoft.ML.OnnxRuntime;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Compression.Tests.Onnx;

[TestClass]
public sealed class OnnxExporterTests
{
    /// <summary>
    /// Every layer type in one graph: grouped and depthwise convolutions, BN, ReLU6, padded average and max pooling,
    /// channel and vector concatenation, a 3-input Add, global pooling, flatten, dropout, linear layers.
    /// </summary>
    private static NetworkGraph MixedGraph()
    {
        var b = new NetworkBuilder("mixed", 3, 9, 9);
        string x = b.Conv2d(b.Input, 6, 3, padding: 1, groups: 3, name: "grouped");                // [6,9,9]
        x = b.ReLU6(b.BatchNorm2d(x, "bn1"), "relu6");
        string dw = b.Conv2d(x, 6, 3, stride: 2, padding: 1, groups: 6, bias: false, name: "dw");  // [6,5,5]
        string avg = b.AvgPool2d(dw, 3, stride: 1, padding: 1, name: "avg");                     // [6,5,5], edges average fewer values
        string max = b.MaxPool2d(dw, 3, stride: 1, padding: 1, name: "max");                     // [6,5,5]
        string cat = b.Concat(new[] { avg, max }, "cat");                                       // [12,5,5]
        string pw = b.Conv2d(cat, 12, 1, name: "pw");
        string pw2 = b.Conv2d(cat, 12, 3, padding: 1, bias: false, name: "pw2");
        string sum = b.Add(new AddLayer("add3", new[] { pw, cat, pw2 }));
        string r = b.Dropout(b.ReLU(sum, "relu"), 0.5, "drop");
        string g = b.Flatten(b.GlobalAvgPool(r, "gap"), "flat_gap");                              // [12]
        string p = b.Flatten(b.AvgPool2d(r, 2, padding: 1, name: "avg2"), "flat_pool");           // [12,3,3] -> [108]
        string v = b.Concat(new[] { g, p }, "vcat");                                            // [120]
        v = b.ReLU(b.Linear(v, 16, name: "fc1"), "relu_fc");
        return b.Build(b.Linear(v, 5, bias: false, name: "fc2"));
    }

    private static IEnumerable<object[]> ZooNetworks() => new[]
    {
        new object[] { "lenet5" }, new object[] { "lenet5-bn" }, new object[] { "vgg" }, new object[] { "resnet20" },
    };

    private static NetworkGraph Zoo(string name) => name switch
    {
        "lenet5" => NetworkZoo.LeNet5(),
        "lenet5-bn" => NetworkZoo.LeNet5(batchNorm: true),
        "vgg" => NetworkZoo.Vgg(),
        "resnet20" => NetworkZoo.ResNet20(),
        _ => throw new ArgumentException(name),
    };

    private static void AssertClose(float[] expected, float[] actual, int offset, double tolerance, string what)
    {
        double worst = 0;
        for (int i = 0; i < expected.Length; i++)
            worst = Math.Max(worst, Math.Abs(expected[i] - actual[offset + i]));
        Assert.IsTrue(worst <= tolerance, $"{what}: max |diff| {worst:G3} > {tolerance:G3}");
    }

    [TestMethod]
    public void MixedGraph_MatchesReferenceEvaluator()
    {
        NetworkGraph graph = TestWeights.FillRandom(MixedGraph(), seed: 1);
        byte[] model = OnnxExporter.Export(graph);
        const int rows = 4;
        float[] inputs = TestWeights.RandomInputs(rows, graph.InputSize, seed: 2);
        OrtRunner.Result result = OrtRunner.Run(model, inputs, rows);
        CollectionAssert.AreEqual(new[] { rows, 5 }, result.LogitsDims);
        for (int r = 0; r < rows; r++)
        {
            float[] expected = ReferenceEvaluator.Evaluate(graph, inputs.AsSpan(r * graph.InputSize, graph.InputSize).ToArray());
            AssertClose(expected, result.Logits, r * 5, 1e-4, $"row {r}");
        }
    }

    [TestMethod]
    [DynamicData(nameof(ZooNetworks))]
    public void ZooNetwork_ExportsLoadsAndScores(string name)
    {
        NetworkGraph graph = TestWeights.FillRandom(Zoo(name), seed: 3);
        byte[] model = OnnxExporter.Export(graph);
        const int rows = 3;
        int k = graph.ClassCount;
        float[] inputs = TestWeights.RandomInputs(rows, graph.InputSize, seed: 4);
        OrtRunner.Result result = OrtRunner.Run(model, inputs, rows);

        CollectionAssert.AreEqual(new[] { rows, k }, result.LogitsDims);
        CollectionAssert.AreEqual(new[] { rows, k }, result.ScoreDims);
        CollectionAssert.AreEqual(new[] { rows }, result.LabelDims);
        for (int r = 0; r < rows; r++)
        {
            Assert.AreEqual(1.0, result.Score.Skip(r * k).Take(k).Sum(v => (double)v), 1e-5, $"score row {r} sums to 1");
            Assert.AreEqual(OrtRunner.ArgMax(result.Logits, r, k), result.Labels[r], $"label of row {r}");
            Assert.AreEqual(OrtRunner.ArgMax(result.Score, r, k), result.Labels[r], $"label of row {r} vs score");
        }
        // One row against the naive evaluator: the wiring (residuals, flatten order, dropout) is right.
        float[] expected = ReferenceEvaluator.Evaluate(graph, inputs.AsSpan(0, graph.InputSize).ToArray());
        double scale = Math.Max(1, expected.Max(Math.Abs));
        AssertClose(expected, result.Logits, 0, 1e-4 * scale, $"{name} row 0");
    }

    [TestMethod]
    public void Session_SeesTypedInputsAndOutputsWithSymbolicBatch()
    {
        NetworkGraph graph = TestWeights.FillRandom(NetworkZoo.LeNet5(), seed: 5);
        using InferenceSession session = OrtRunner.Open(OnnxExporter.Export(graph));

        var input = session.InputMetadata.Single();
        Assert.AreEqual("Features", input.Key);
        Assert.AreEqual(typeof(float), input.Value.ElementType);
        CollectionAssert.AreEqual(new[] { -1, 784 }, input.Value.Dimensions);
        Assert.AreEqual("N", input.Value.SymbolicDimensions[0]);

        CollectionAssert.AreEqual(new[] { "Logits", "Score", "PredictedLabel" }, session.OutputMetadata.Keys.ToArray());
        Assert.AreEqual(typeof(float), session.OutputMetadata["Logits"].ElementType);
        Assert.AreEqual(typeof(float), session.OutputMetadata["Score"].ElementType);
        Assert.AreEqual(typeof(long), session.OutputMetadata["PredictedLabel"].ElementType);
        CollectionAssert.AreEqual(new[] { -1, 10 }, session.OutputMetadata["Score"].Dimensions);
        CollectionAssert.AreEqual(new[] { -1 }, session.OutputMetadata["PredictedLabel"].Dimensions);
    }

    [TestMethod]
    public void Export_IsByteIdentical()
    {
        NetworkGraph graph = TestWeights.FillRandom(NetworkZoo.ResNet20(), seed: 6);
        var forward = new Dictionary<string, string> { ["accuracy"] = "0.99", ["bits"] = "32", ["dataset"] = "mnist" };
        var backward = new Dictionary<string, string> { ["dataset"] = "mnist", ["bits"] = "32", ["accuracy"] = "0.99" };
        byte[] first = OnnxExporter.Export(graph, new OnnxExportOptions { Metadata = forward });
        byte[] second = OnnxExporter.Export(graph.Clone(), new OnnxExportOptions { Metadata = backward });
        CollectionAssert.AreEqual(first, second);
    }

    [TestMethod]
    public void MissingParameter_NamesLayerAndParameter()
    {
        NetworkGraph graph = NetworkZoo.LeNet5(batchNorm: true);
        TestWeights.FillRandom(graph, seed: 7);
        NetworkGraph partial = graph.WithoutWeights();
        foreach (Layer layer in partial.Layers)
            foreach (var (name, value) in graph[layer.Name].Parameters)
                if (!(layer.Name == "bn2" && name == "running_var"))
                    layer.SetParameter(name, value);

        var e = Assert.ThrowsExactly<ArgumentException>(() => OnnxExporter.Export(partial));
        StringAssert.Contains(e.Message, "'bn2'");
        StringAssert.Contains(e.Message, "'running_var'");
    }

    [TestMethod]
    public void Metadata_RoundTrips()
    {
        NetworkGraph graph = TestWeights.FillRandom(NetworkZoo.LeNet5(), seed: 8);
        var options = new OnnxExportOptions
        {
            Method = "fp32-test",
            Metadata = new Dictionary<string, string> { ["accuracy"] = "0.9912", ["dataset"] = "mnist" },
        };
        byte[] model = OnnxExporter.Export(graph, options);

        OnnxModelInfo info = OnnxModelInfo.Read(model);
        Assert.AreEqual(7L, info.IrVersion);
        Assert.AreEqual(13L, info.Opset);
        Assert.AreEqual("Microsoft.ML.Compression", info.ProducerName);
        Assert.AreEqual(OnnxExporter.ProducerVersion, info.ProducerVersion);
        CollectionAssert.AreEqual(new[] { "Features" }, info.InputNames.ToArray());
        CollectionAssert.AreEqual(new[] { "Logits", "Score", "PredictedLabel" }, info.OutputNames.ToArray());
        Assert.AreEqual("Microsoft.ML.Compression", info.Metadata[OnnxMetadataKeys.Producer]);
        Assert.AreEqual("lenet5", info.Metadata[OnnxMetadataKeys.Network]);
        Assert.AreEqual("fp32-test", info.Metadata[OnnxMetadataKeys.Method]);
        Assert.AreEqual(graph.ParameterCount.ToString(), info.Metadata[OnnxMetadataKeys.ParameterCount]);
        Assert.AreEqual("1,28,28", info.Metadata[OnnxMetadataKeys.InputShape]);
        Assert.AreEqual("10", info.Metadata[OnnxMetadataKeys.ClassCount]);
        Assert.AreEqual("Features", info.Metadata[OnnxMetadataKeys.InputName]);
        Assert.AreEqual("0.9912", info.Metadata["accuracy"]);
        Assert.AreEqual(3, info.OperatorCounts["Gemm"]);
        Assert.AreEqual(2, info.OperatorCounts["Conv"]);
        Assert.IsTrue(info.InitializerBytes >= graph.ParameterCount * 4);

        // ONNX Runtime reads the same entries.
        using InferenceSession session = OrtRunner.Open(model);
        Assert.AreEqual("lenet5", session.ModelMetadata.CustomMetadataMap["network"]);
        Assert.AreEqual("mnist", session.ModelMetadata.CustomMetadataMap["dataset"]);
        Assert.AreEqual("Microsoft.ML.Compression", session.ModelMetadata.ProducerName);
    }

    [TestMethod]
    public void Options_InputNameAndOpsetAreHonoured()
    {
        NetworkGraph graph = TestWeights.FillRandom(NetworkZoo.LeNet5(batchNorm: true), seed: 9);
        float[] inputs = TestWeights.RandomInputs(2, graph.InputSize, seed: 10);
        OrtRunner.Result baseline = OrtRunner.Run(OnnxExporter.Export(graph), inputs, 2);

        byte[] model = OnnxExporter.Export(graph, new OnnxExportOptions { InputName = "Pixels", Opset = 21 });
        OnnxModelInfo info = OnnxModelInfo.Read(model);
        Assert.AreEqual(10L, info.IrVersion);
        Assert.AreEqual(21L, info.Opset);
        OrtRunner.Result result = OrtRunner.Run(model, inputs, 2, inputName: "Pixels");
        AssertClose(baseline.Logits, result.Logits, 0, 1e-5, "opset 21 vs 13");
    }

    [TestMethod]
    public void Options_InvalidValuesAreRejected()
    {
        NetworkGraph graph = TestWeights.FillRandom(NetworkZoo.LeNet5(), seed: 11);
        Assert.ThrowsExactly<ArgumentException>(() => OnnxExporter.Export(graph, new OnnxExportOptions { InputName = "Score" }));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => OnnxExporter.Export(graph, new OnnxExportOptions { Opset = 12 }));
        var e = Assert.ThrowsExactly<ArgumentException>(() => OnnxExporter.Export(graph,
            new OnnxExportOptions { Metadata = new Dictionary<string, string> { [OnnxMetadataKeys.Method] = "x" } }));
        StringAssert.Contains(e.Message, "method");
    }

    [TestMethod]
    public void DropoutAsLastLayer_StillNamesTheLogits()
    {
        var b = new NetworkBuilder("tail-dropout", 1, 4, 4);
        string x = b.Linear(b.Flatten(b.Input), 3, name: "fc");
        NetworkGraph graph = TestWeights.FillRandom(b.Build(b.Dropout(x, 0.2, "drop")), seed: 12);
        float[] inputs = TestWeights.RandomInputs(2, graph.InputSize, seed: 13);
        OrtRunner.Result result = OrtRunner.Run(OnnxExporter.Export(graph), inputs, 2);
        for (int r = 0; r < 2; r++)
            AssertClose(ReferenceEvaluator.Evaluate(graph, inputs.AsSpan(r * 16, 16).ToArray()), result.Logits, r * 3, 1e-5, $"row {r}");
    }
}
