using System;
using System.IO;
using System.Linq;
using System.Text;
using Google.Protobuf;
using Microsoft.ML.Compression.Estimators;
using Microsoft.ML.Compression.Quantization;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Onnx;
using Microsoft.ML.Compression.Onnx.Import;
using Microsoft.ML.Data;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using DataType = Microsoft.ML.Compression.Onnx.Proto.TensorProto.Types.DataType;

namespace Microsoft.ML.Compression.Tests.Onnx.Import;

/// <summary>The public import entry points: Inspect, ImportOnnx, FromOnnx, and the errors that name the file.</summary>
[TestClass]
public sealed class OnnxImportApiTests
{
    private const int Rows = 64;
    private static readonly Lazy<byte[]> LeNetOnnx = new(() => OnnxExporter.Export(TestModels.LeNet));
    private string _folder = null!;

    [TestInitialize]
    public void CreateFolder() => _folder = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"import-api-{Guid.NewGuid():N}")).FullName;

    [TestCleanup]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(_folder, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [TestMethod]
    public void InspectListsAnUnsupportedOpWithItsNodeWithoutThrowing()
    {
        string path = Write("erf.onnx", TinyModels.Classifier((b, image) => b.AddNode("Erf", new[] { image }, "my_erf")));

        OnnxImportReport report = OnnxImport.Inspect(path);

        Assert.IsFalse(report.CanImport);
        Assert.IsNull(report.Network);
        UnsupportedOperator erf = report.UnsupportedOperators.Single();
        Assert.AreEqual("Erf", erf.OpType);
        CollectionAssert.AreEqual(new[] { "my_erf" }, erf.Nodes.ToArray());
        StringAssert.Contains(report.Problems.Single(), "'Erf'");
        StringAssert.Contains(report.Problems.Single(), "'my_erf'");
        Assert.AreEqual(1, report.OperatorCounts["Erf"]);
        Assert.AreEqual("N", report.Input!.BatchDimension);
        Assert.AreEqual("flat", report.InputLayout);
        string text = report.ToString();
        StringAssert.Contains(text, "Erf x1 (not supported): my_erf");
        StringAssert.Contains(text, "can import: no");
    }

    [TestMethod]
    public void InspectShowsAFixedBatchChannelsLastInputAndTheFinalSoftmax()
    {
        // Keras-style: image [1,4,4,1] (one sample per run, channels last) -> Transpose to NCHW -> Flatten -> Gemm -> Softmax.
        var b = new OnnxGraphBuilder("keras");
        b.AddInput("image", DataType.Float, 1, 4, 4, 1);
        string nchw = b.AddNode("Transpose", new[] { "image" }, "to_nchw", OnnxAttributes.Ints("perm", 0, 3, 1, 2));
        string flat = b.AddNode("Flatten", new[] { nchw }, "flatten", OnnxAttributes.Int("axis", 1));
        string logits = b.AddNode("Gemm", new[] { flat, b.AddFloat("w", new long[] { 3, 16 }, new float[48]) }, "dense", OnnxAttributes.Int("transB", 1));
        b.Reserve("probs");
        b.AddNode("Softmax", new[] { logits }, new[] { "probs" }, "softmax");
        b.AddOutput("probs", DataType.Float, 1, 3);
        string path = Write("keras.onnx", b.ToModel(13, "tf2onnx", "1.16").ToByteArray());

        OnnxImportReport report = OnnxImport.Inspect(path);

        Assert.AreEqual("1", report.Input!.BatchDimension);
        Assert.IsTrue(report.Input.HasFixedBatch);
        CollectionAssert.AreEqual(new[] { "1", "4", "4", "1" }, report.Input.Dimensions.ToArray());
        Assert.AreEqual("NHWC", report.InputLayout);
        Assert.AreEqual("Softmax", report.FinalSoftmax);
        Assert.AreEqual(logits, report.LogitsTensor);
        Assert.AreEqual("tf2onnx", report.ProducerName);
        StringAssert.Contains(report.ToString(), "batch fixed at 1; layout NHWC");
    }

    [TestMethod]
    public void InspectOfALibraryModelCanImportAndShowsTheInputContract()
    {
        OnnxImportReport report = OnnxImport.Inspect(Write("lenet.onnx", LeNetOnnx.Value));

        Assert.IsTrue(report.CanImport, string.Join("; ", report.Problems));
        Assert.AreEqual(0, report.Problems.Count);
        Assert.AreEqual(0, report.UnsupportedOperators.Count);
        Assert.AreEqual("Features", report.Input!.Name);
        Assert.AreEqual("FLOAT", report.Input.ElementType);
        CollectionAssert.AreEqual(new[] { "N", "784" }, report.Input.Dimensions.ToArray());
        Assert.IsFalse(report.Input.HasFixedBatch);
        Assert.AreEqual("flat", report.InputLayout);
        CollectionAssert.AreEqual(new[] { "Logits", "Score", "PredictedLabel" }, report.Outputs.Select(o => o.Name).ToArray());
        Assert.AreEqual("Logits", report.LogitsTensor);
        Assert.AreEqual("Softmax", report.FinalSoftmax);
        Assert.AreEqual(OnnxExporter.DefaultProducer, report.ProducerName);
        Assert.AreEqual(13L, report.Opsets["ai.onnx"]);
        Assert.AreEqual(2, report.OperatorCounts["Conv"]);
        CollectionAssert.AreEqual(new[] { 1, 28, 28 }, report.Network!.InputShape);
        StringAssert.Contains(report.ToString(), "can import: yes");
        StringAssert.Contains(report.ToString(), "Features: FLOAT [N, 784] (batch symbolic 'N'; layout flat)");
    }

    [TestMethod]
    public void ImportOnnxScoresLikeOnnxRuntimeOnTheFile()
    {
        byte[] onnx = LeNetOnnx.Value;
        using CompressedModelTransformer imported = TestModels.Compression.ImportOnnx(Write("lenet.onnx", onnx));
        IDataView rows = TestModels.Ml.Data.TakeRows(TestModels.Test, Rows);
        float[] features = TestModels.Ml.Data.CreateEnumerable<Digit>(rows, reuseRowObject: false).SelectMany(d => d.Features).ToArray();

        Prediction[] scored = Predictions(imported, rows);
        OrtRunner.Result expected = OrtRunner.Run(onnx, features, Rows);

        Assert.AreEqual(Rows, scored.Length);
        for (int i = 0; i < Rows; i++)
        {
            for (int k = 0; k < 10; k++)
                Assert.AreEqual(expected.Score[i * 10 + k], scored[i].Score[k], 1e-4f, $"row {i} class {k}");
            Assert.AreEqual((uint)expected.Labels[i] + 1, scored[i].PredictedLabel, $"row {i}");
        }
        Assert.AreEqual(CompressionCatalog.ImportedMethod, imported.Report.Method);
        CollectionAssert.AreEqual(TestModels.LeNet.Layers.Select(l => l.Name).ToArray(), imported.Network.Layers.Select(l => l.Name).ToArray());
    }

    [TestMethod]
    public void ImportedModelStartsPostTrainingQuantization()
    {
        using CompressedModelTransformer imported = TestModels.Compression.ImportOnnx(Write("lenet.onnx", LeNetOnnx.Value));
        // Check = Off: on CPUs where int8 LeNet is slower the measured check would export it in float.
        using CompressedModelTransformer int8 = TestModels.Compression.PostTrainingQuantization(imported,
            new PostTrainingQuantizer.Options { CalibrationSamples = 128, Latency = new Int8LatencyOptions { Check = Int8LatencyCheck.Off } }).Fit(TestModels.Train);

        double before = TestModels.Accuracy(imported), after = TestModels.Accuracy(int8);
        Assert.IsTrue(before > 0.9, $"imported accuracy {before}");
        Assert.IsTrue(after >= before - 0.03, $"int8 {after} vs imported {before}");
        Assert.AreEqual(8, int8.Compressed.WeightBitWidths.Single());
    }

    [TestMethod]
    public void ImportedModelSavesAndLoadsScoringIdentically()
    {
        using CompressedModelTransformer imported = TestModels.Compression.ImportOnnx(Write("lenet.onnx", LeNetOnnx.Value), "Pixels");
        IDataView rows = TestModels.Ml.Transforms.CopyColumns("Pixels", "Features").Fit(TestModels.Test).Transform(TestModels.Ml.Data.TakeRows(TestModels.Test, Rows));
        string zip = Path.Combine(_folder, "imported.zip");
        TestModels.Ml.Model.Save(imported, rows.Schema, zip);

        ITransformer loaded = new MLContext(seed: 1).Model.Load(zip, out _);
        try
        {
            Prediction[] before = Predictions(imported, rows), after = Predictions(loaded, rows);
            for (int i = 0; i < before.Length; i++)
            {
                CollectionAssert.AreEqual(before[i].Score, after[i].Score, $"row {i}");
                Assert.AreEqual(before[i].PredictedLabel, after[i].PredictedLabel, $"row {i}");
            }
            NetworkGraph back = StartingPoint.FromModel(loaded).Network;
            foreach (Layer layer in imported.Network.Layers)
                foreach (var (name, value) in layer.Parameters)
                    CollectionAssert.AreEqual(value.Data, back[layer.Name].Parameters[name].Data, $"{layer.Name}.{name}");
        }
        finally
        {
            (loaded as IDisposable)?.Dispose();
        }
    }

    [TestMethod]
    public void FromOnnxReadsPathsAndStreamsAsTheImporterDoes()
    {
        string path = Write("lenet.onnx", LeNetOnnx.Value);
        NetworkGraph expected = OnnxImporter.Import(LeNetOnnx.Value);
        using var stream = new MemoryStream(LeNetOnnx.Value);
        foreach (NetworkGraph network in new[] { NetworkGraph.FromOnnx(path), NetworkGraph.FromOnnx(stream), StartingPoint.FromOnnx(path).Network })
            foreach (Layer layer in expected.Layers)
                foreach (var (name, value) in layer.Parameters)
                    CollectionAssert.AreEqual(value.Data, network[layer.Name].Parameters[name].Data, $"{layer.Name}.{name}");
    }

    [TestMethod]
    public void MissingAndNonOnnxFilesAreNamed()
    {
        var c = TestModels.Compression;
        string missing = Path.Combine(_folder, "missing.onnx");
        foreach (Action read in new Action[] { () => c.ImportOnnx(missing), () => NetworkGraph.FromOnnx(missing), () => StartingPoint.FromOnnx(missing), () => OnnxImport.Inspect(missing) })
            StringAssert.Contains(Assert.ThrowsExactly<FileNotFoundException>(read).Message, missing);

        string text = Write("notes.onnx", Encoding.ASCII.GetBytes("this is not an ONNX model"));
        foreach (Action read in new Action[] { () => c.ImportOnnx(text), () => NetworkGraph.FromOnnx(text), () => OnnxImport.Inspect(text) })
            StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(read).Message, $"'{text}' is not an ONNX model");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => StartingPoint.FromOnnx(text)).Message, $"'{text}' is not an ONNX model");

        string zip = Write("model.zip", new byte[] { (byte)'P', (byte)'K', 3, 4, 0, 0 });
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => StartingPoint.FromOnnx(zip)).Message, "StartingPoint.FromFile");
    }

    [TestMethod]
    public void AnUnsupportedOpIsNamedWithTheFileBeforeAnyModelIsMade()
    {
        string path = Write("erf.onnx", TinyModels.Classifier((b, image) => b.AddNode("Erf", new[] { image }, "my_erf")));

        var e = Assert.ThrowsExactly<NotSupportedException>(() => TestModels.Compression.ImportOnnx(path));

        StringAssert.Contains(e.Message, $"'{path}'");
        StringAssert.Contains(e.Message, "Erf node 'my_erf'");
        StringAssert.Contains(e.Message, "Supported op types: " + string.Join(", ", OnnxImport.SupportedOpTypes));
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => StartingPoint.FromOnnx(path)).Message, "'my_erf'");
    }

    [TestMethod]
    public void FeatureColumnIsCheckedWhenMadeAndWhenScoring()
    {
        string path = Write("lenet.onnx", LeNetOnnx.Value);
        Assert.ThrowsExactly<ArgumentException>(() => TestModels.Compression.ImportOnnx(path, ""));
        using CompressedModelTransformer imported = TestModels.Compression.ImportOnnx(path, "Pixels");

        var missing = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => imported.Transform(TestModels.Test));
        StringAssert.Contains(missing.Message, "'Pixels'");
        StringAssert.Contains(missing.Message, "float[784]");
        IDataView small = TestModels.Ml.Data.LoadFromEnumerable(new[] { new SmallRow() });
        var size = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => imported.GetOutputSchema(small.Schema));
        StringAssert.Contains(size.Message, "holds 100 values");
        StringAssert.Contains(size.Message, "float[784]");
    }

    private static Prediction[] Predictions(ITransformer model, IDataView rows) =>
        TestModels.Ml.Data.CreateEnumerable<Prediction>(model.Transform(rows), reuseRowObject: false).ToArray();

    private sealed class Digit
    {
        [VectorType(784)] public float[] Features { get; set; } = Array.Empty<float>();
    }

    private sealed class SmallRow
    {
        [VectorType(100)] public float[] Pixels { get; set; } = new float[100];
    }

    private sealed class Prediction
    {
        public float[] Score { get; set; } = Array.Empty<float>();
        public uint PredictedLabel { get; set; }
    }
}
