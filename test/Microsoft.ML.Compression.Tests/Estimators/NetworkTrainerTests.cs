using System;
using System.IO;
using System.Linq;
using Microsoft.ML.Compression.Datasets;
using Microsoft.ML.Compression.Estimators;
using Microsoft.ML.Compression.Training;
using Microsoft.ML.Compression.Zoo;
using Microsoft.ML.Data;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Compression.Tests.Estimators;

[TestClass]
public class NetworkTrainerTests
{
    private static MLContext _ml = null!;
    private static IDataView _train = null!;
    private static IDataView _test = null!;
    private static CompressedModelTransformer _model = null!;
    private static readonly System.Collections.Generic.List<string> Log = new();
    private static readonly System.Collections.Generic.List<EpochMetrics> Epochs = new();

    [ClassInitialize]
    public static void TrainOnce(TestContext context)
    {
        _ml = new MLContext(seed: 0);
        _ml.Log += (_, e) => { lock (Log) Log.Add(e.Message); };
        _train = TestData.Mnist(_ml, MnistSplit.Train, 6000);
        _test = TestData.Mnist(_ml, MnistSplit.Test, 500);
        var options = new NetworkTrainer.Options { Epochs = 3, BatchSize = 64, OnEpoch = Epochs.Add };
        _model = _ml.Transforms.Compression.Train(NetworkZoo.LeNet5(), options).Fit(_train, _test);
    }

    [ClassCleanup]
    public static void Cleanup() => _model?.Dispose();

    [TestMethod]
    public void FitLearnsAndEvaluatesThroughMLNet()
    {
        IDataView scored = _model.Transform(_test);
        Assert.IsNotNull(scored.Schema.GetColumnOrNull("Score"));
        Assert.IsNotNull(scored.Schema.GetColumnOrNull("PredictedLabel"));
        var metrics = _ml.MulticlassClassification.Evaluate(scored);
        Assert.IsTrue(metrics.MicroAccuracy > 0.9, $"accuracy {metrics.MicroAccuracy} after 3 epochs on 6000 images");
        Assert.AreEqual(Epochs[^1].ValidationAccuracy!.Value, metrics.MicroAccuracy, 0.005, "TorchSharp and ONNX Runtime agree on accuracy");
        Assert.AreEqual(3, Epochs.Count);
        Assert.IsTrue(Log.Any(m => m.Contains("epoch 3/3")), "each epoch is logged through MLContext.Log");
    }

    [TestMethod]
    public void ScoresAreProbabilitiesAndPredictedLabelIsTheArgmax()
    {
        var rows = _ml.Data.CreateEnumerable<Prediction>(_model.Transform(_test), reuseRowObject: false).Take(50).ToArray();
        foreach (var row in rows)
        {
            Assert.AreEqual(1.0, row.Score.Sum(), 1e-4);
            // Reading keys into typed rows gives raw key values: class + 1.
            Assert.AreEqual((uint)Array.IndexOf(row.Score, row.Score.Max()) + 1, row.PredictedLabel);
        }
        Assert.IsTrue(rows.Count(r => r.PredictedLabel == r.Label) > 40, string.Join(",", rows.Take(10).Select(r => $"{r.Label}:{r.PredictedLabel}")));
    }

    [TestMethod]
    public void SaveAndLoadGiveIdenticalScores()
    {
        string path = Path.Combine(Path.GetTempPath(), $"lenet-{Guid.NewGuid():N}.zip");
        try
        {
            _ml.Model.Save(_model, _train.Schema, path);
            ITransformer loaded = _ml.Model.Load(path, out _);
            var a = _ml.Data.CreateEnumerable<Prediction>(_model.Transform(_test), false).ToArray();
            var b = _ml.Data.CreateEnumerable<Prediction>(loaded.Transform(_test), false).ToArray();
            Assert.AreEqual(a.Length, b.Length);
            for (int i = 0; i < a.Length; i++)
            {
                CollectionAssert.AreEqual(a[i].Score, b[i].Score);
                Assert.AreEqual(a[i].PredictedLabel, b[i].PredictedLabel);
            }
        }
        finally { File.Delete(path); }
    }

    [TestMethod]
    public void ReportAndOnnxBytesDescribeTheModel()
    {
        Assert.AreEqual(NetworkZoo.LeNet5().ParameterCount, _model.Report.Parameters);
        Assert.AreEqual(NetworkZoo.LeNet5().Macs, _model.Report.Macs);
        Assert.AreEqual(_model.OnnxModel.LongLength, _model.Report.OnnxBytes);
        Assert.IsTrue(_model.Report.OnnxBytes > _model.Report.Parameters * 4, "fp32 weights are all in the file");
        Assert.AreEqual(3, _model.Report.History.Count);
        StringAssert.Contains(_model.Report.ToString(), "conv2");
        string path = Path.Combine(Path.GetTempPath(), $"lenet-{Guid.NewGuid():N}.onnx");
        try
        {
            _model.SaveOnnx(path);
            CollectionAssert.AreEqual(_model.OnnxModel, File.ReadAllBytes(path));
        }
        finally { File.Delete(path); }
        Assert.IsTrue(_model.Network.HasWeights);
    }

    [TestMethod]
    public void SameSeedAndDataGiveIdenticalOnnxBytes()
    {
        var ml = new MLContext(seed: 1);
        IDataView small = TestData.Mnist(ml, MnistSplit.Train, 600);
        byte[] Run()
        {
            using var model = ml.Transforms.Compression.Train(NetworkZoo.LeNet5(batchNorm: true), new NetworkTrainer.Options { Epochs = 1, Seed = 7 }).Fit(small);
            return model.OnnxModel;
        }
        byte[] first = Run();
        CollectionAssert.AreEqual(first, Run());
        using var other = ml.Transforms.Compression.Train(NetworkZoo.LeNet5(batchNorm: true), new NetworkTrainer.Options { Epochs = 1, Seed = 8 }).Fit(small);
        CollectionAssert.AreNotEqual(first, other.OnnxModel, "a different seed gives a different model");
    }

    [TestMethod]
    public void OutputSchemaAddsScoreAndPredictedLabel()
    {
        var estimator = _ml.Transforms.Compression.Train(NetworkZoo.LeNet5());
        SchemaShape shape = estimator.GetOutputSchema(MlNetInternals.ShapeOf(_train.Schema));
        Assert.IsTrue(shape.Any(c => c.Name == "Score" && c.ItemType == NumberDataViewType.Single));
        Assert.IsTrue(shape.Any(c => c.Name == "PredictedLabel" && c.IsKey));
        var ex = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            _ml.Transforms.Compression.Train(NetworkZoo.LeNet5(), "Pixels", "Label").GetOutputSchema(MlNetInternals.ShapeOf(_train.Schema)));
        StringAssert.Contains(ex.Message, "'Pixels'");
    }

    private sealed class Prediction
    {
        [KeyType(10)] public uint Label { get; set; }
        public float[] Score { get; set; } = Array.Empty<float>();
        [KeyType(10)] public uint PredictedLabel { get; set; }
    }
}
