using System.Linq;
using Microsoft.ML.Compression.Estimators;
using Microsoft.ML.Compression.Training;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Compression.Tests.Estimators;

/// <summary>
/// Plans sharing a step cache (as a sweep's trials do) run a finished step once for the same start, options, seed and
/// data, and end with the model a plan that runs every step gives.
/// </summary>
[TestClass]
public class PlanStepReuseTests
{
    private static CompressionPlan Plan(TrainedPhaseCache? cache, double rate = 0.5, int? pruneSeed = 3, int bits = 4) =>
        TestModels.Compression.Plan(TestModels.LeNetWithBatchNorm, new CompressionPlan.Options { Threads = 1, StepCache = cache })
            .L1NormPruning(new L1NormPruner.Options { PruneRate = rate, Epochs = 1, Seed = pruneSeed, Threads = 1 })
            .QuantizeAwareTraining(new QuantizeAwareTrainer.Options { Epochs = 1, Seed = 5, Threads = 1, WeightBits = bits, ActivationBits = 32 });

    private static (byte[] Onnx, double[] Seconds) Fit(CompressionPlan plan)
    {
        using CompressedModelTransformer model = plan.Fit(TestModels.Train);
        return (model.OnnxModel, model.Plan!.Steps.Select(s => s.Seconds).ToArray());
    }

    [TestMethod]
    public void ASharedPruningStepRunsOnceAndGivesTheModelAFullRunGives()
    {
        var cache = new TrainedPhaseCache();
        Fit(Plan(cache, bits: 4));
        Assert.AreEqual(0, cache.Hits);
        var (reused, seconds) = Fit(Plan(cache, bits: 2));
        Assert.AreEqual(1, cache.Hits, "the second plan differs only in its last step: its pruning step should be reused");
        Assert.AreEqual(0, seconds[1], "a reused step took no time in this Fit");
        Assert.IsTrue(seconds[2] > 0);
        CollectionAssert.AreEqual(Fit(Plan(null, bits: 2)).Onnx, reused, "the reused step must give the model a plan running it gives");
    }

    [TestMethod]
    public void AnotherRateOrAStepWithoutSeedIsRunAgain()
    {
        var cache = new TrainedPhaseCache();
        Fit(Plan(cache));
        Fit(Plan(cache, rate: 0.25));
        Assert.AreEqual(0, cache.Hits, "another prune rate is another step");
        // Without a seed a step draws a new one each Fit, so its result is not the earlier one's.
        Fit(Plan(cache, pruneSeed: null));
        Fit(Plan(cache, pruneSeed: null));
        Assert.AreEqual(0, cache.Hits);
    }
}
