using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.ML.Compression.Datasets;
using Microsoft.ML.Compression.Estimators;
using Microsoft.ML.Compression.Scoring;
using Microsoft.ML.Compression.Training;
using Microsoft.ML.Compression.Zoo;
using Microsoft.ML.Data;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Compression.Tests.Reliability;

/// <summary>
/// One fitted model scored from many threads, Fits running at once, and repeated Fit/Save/Load cycles: the results
/// are those of one thread, and nothing is left in the temp folder. Tiny data, one epoch, one libtorch thread.
/// </summary>
[TestClass]
public class ConcurrencyTests
{
    private const int TrainRows = 256, ScoreRows = 64, Seed = 11;

    private static readonly Lazy<IDataView> Train = new(() => TestData.Mnist(new MLContext(0), MnistSplit.Train, TrainRows));
    private static readonly Lazy<IDataView> Test = new(() => TestData.Mnist(new MLContext(0), MnistSplit.Test, ScoreRows));

    public sealed class Digit
    {
        [VectorType(784)] public float[] Features { get; set; } = Array.Empty<float>();
        [KeyType(10)] public uint Label { get; set; }
    }

    public sealed class Scored
    {
        public float[] Score { get; set; } = Array.Empty<float>();
    }

    private static CompressedModelTransformer Fit(MLContext ml, DataCaching cache = DataCaching.Memory) =>
        ml.Transforms.Compression.Train(NetworkZoo.LeNet5(),
            new NetworkTrainer.Options { Epochs = 1, Seed = Seed, Threads = 1, DataCache = cache }).Fit(Train.Value);

    private static float[][] ScoreColumn(MLContext ml, ITransformer model, IDataView data) =>
        ml.Data.CreateEnumerable<Scored>(model.Transform(data), reuseRowObject: false).Select(s => s.Score).ToArray();

    private static void AssertSameScores(float[][] expected, float[][] actual, string what)
    {
        Assert.AreEqual(expected.Length, actual.Length, what);
        for (int i = 0; i < expected.Length; i++)
            CollectionAssert.AreEqual(expected[i], actual[i], $"{what}: row {i}");
    }

    [TestMethod]
    public void EightThreadsScoringOneModelGetTheSequentialScores()
    {
        var ml = new MLContext(Seed);
        using CompressedModelTransformer model = Fit(ml);
        Digit[] rows = ml.Data.CreateEnumerable<Digit>(Test.Value, reuseRowObject: false).ToArray();
        float[][] sequential = ScoreColumn(ml, model, Test.Value);
        var engine = ml.Model.CreatePredictionEngine<Digit, Scored>(model);
        AssertSameScores(sequential, rows.Select(r => engine.Predict(r).Score).ToArray(), "one PredictionEngine");

        const int threads = 8;
        using var start = new Barrier(threads);
        var perEngine = new float[threads][][];
        var perTransform = new float[threads][][];
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            // A PredictionEngine is not thread-safe: one per thread, all on the shared model; Transform is shared.
            var own = ml.Model.CreatePredictionEngine<Digit, Scored>(model);
            start.SignalAndWait();
            perEngine[t] = rows.Select(r => own.Predict(r).Score).ToArray();
            perTransform[t] = ScoreColumn(ml, model, Test.Value);
        });
        for (int t = 0; t < threads; t++)
        {
            AssertSameScores(sequential, perEngine[t], $"thread {t}'s PredictionEngine");
            AssertSameScores(sequential, perTransform[t], $"thread {t}'s Transform");
        }
    }

    [TestMethod]
    public void TwoFitsAtOnceWithTheSameSeedGiveTheBytesOfASequentialFit()
    {
        byte[] sequential;
        using (CompressedModelTransformer once = Fit(new MLContext(Seed)))
            sequential = once.OnnxModel;
        using var start = new Barrier(2);
        Task<byte[]>[] both = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            var ml = new MLContext(Seed);
            start.SignalAndWait();
            using CompressedModelTransformer model = Fit(ml);
            return model.OnnxModel;
        })).ToArray();
        Task.WaitAll(both);
        CollectionAssert.AreEqual(sequential, both[0].Result, "first concurrent Fit");
        CollectionAssert.AreEqual(sequential, both[1].Result, "second concurrent Fit");
    }

    [TestMethod]
    public void FitSaveLoadCyclesLeaveNoTempFiles()
    {
        string[] rowCachesBefore = RowCaches();
        for (int cycle = 0; cycle < 3; cycle++)
        {
            var ml = new MLContext(Seed);
            // The disk row cache on odd cycles, so both stores are exercised.
            using CompressedModelTransformer model = Fit(ml, cycle % 2 == 1 ? DataCaching.Disk : DataCaching.Memory);
            float[][] scores = ScoreColumn(ml, model, Test.Value);
            using var zip = new MemoryStream();
            ml.Model.Save(model, Test.Value.Schema, zip);
            zip.Position = 0;
            ITransformer loaded = ml.Model.Load(zip, out _);
            AssertSameScores(scores, ScoreColumn(ml, loaded, Test.Value), $"cycle {cycle}: the loaded model");
            (loaded as IDisposable)?.Dispose();
        }
        Assert.AreEqual(0, Directory.GetFiles(TempModelFile.ProcessFolder).Length, "model files left in the process's temp folder");
        CollectionAssert.AreEquivalent(rowCachesBefore, RowCaches(), "row cache files left in the temp folder");
    }

    private static string[] RowCaches() => Directory.GetFiles(Path.GetTempPath(), "mlcompression-rows-*");
}
