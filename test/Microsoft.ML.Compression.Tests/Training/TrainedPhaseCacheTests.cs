using System.Linq;
using Microsoft.ML.Compression.Estimators;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Training;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Compression.Tests.Training;

/// <summary>
/// Fits sharing a <see cref="TrainedPhaseCache"/> (as a sweep's trials do) train SCOP's control and slimming's sparsity
/// phase once per start and settings, and give the same models as Fits that train every phase themselves.
/// </summary>
[TestClass]
public class TrainedPhaseCacheTests
{
    private static NetworkGraph Start => TestModels.LeNetWithBatchNorm;

    private static ScopPruner.Options Scop(double rate, TrainedPhaseCache? cache) =>
        new() { PruneRate = rate, Epochs = 1, KnockoffRows = 200, Seed = 3, Threads = 1, PhaseCache = cache };

    private static NetworkSlimming.Options Slim(double rate, TrainedPhaseCache? cache) =>
        new() { PruneRate = rate, Sparsity = 1e-3, SparsityEpochs = 1, Epochs = 1, Seed = 3, Threads = 1, PhaseCache = cache };

    private static byte[] Onnx(CompressionOptions options)
    {
        var c = TestModels.Compression;
        IEstimator<CompressedModelTransformer> estimator = options switch
        {
            ScopPruner.Options scop => c.Scop(Start, scop),
            NetworkSlimming.Options slim => c.NetworkSlimming(Start, slim),
            _ => throw new System.ArgumentException(options.GetType().Name),
        };
        using CompressedModelTransformer model = estimator.Fit(TestModels.Train);
        return model.OnnxModel;
    }

    [TestMethod]
    public void ScopsControlPhaseRunsOnceAcrossRatesAndGivesTheModelAFreshFitGives()
    {
        var cache = new TrainedPhaseCache();
        byte[] first = Onnx(Scop(0.5, cache));
        Assert.AreEqual(0, cache.Hits);
        byte[] reused = Onnx(Scop(0.25, cache));
        Assert.AreEqual(1, cache.Hits, "the second rate should reuse the control coefficients");
        CollectionAssert.AreEqual(Onnx(Scop(0.25, null)), reused, "the reused phase must give the model a Fit training it gives");
        Assert.IsTrue(reused.Length > first.Length, "the lower rate keeps more channels");
        // Another seed is another control run.
        var other = Scop(0.25, cache);
        other.Seed = 4;
        Onnx(other);
        Assert.AreEqual(1, cache.Hits);
    }

    [TestMethod]
    public void SlimmingsSparsityPhaseRunsOnceAcrossRatesButNotAcrossTeachers()
    {
        var cache = new TrainedPhaseCache();
        Onnx(Slim(0.5, cache));
        byte[] reused = Onnx(Slim(0.3, cache));
        Assert.AreEqual(1, cache.Hits);
        CollectionAssert.AreEqual(Onnx(Slim(0.3, null)), reused);
        // Sparsity training distils from a teacher when there is one: another teacher weight is another phase.
        var taught = Slim(0.3, cache);
        taught.Teacher = Start;
        taught.DistillationWeight = 0.5;
        Onnx(taught);
        Assert.AreEqual(1, cache.Hits);
        taught.PruneRate = 0.4;
        Onnx(taught);
        Assert.AreEqual(2, cache.Hits);
    }
}
