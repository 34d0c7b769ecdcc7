using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Compression.Analysis;
using Microsoft.ML.Compression.Analysis.Sensitivity;
using Microsoft.ML.Compression.Estimators;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Sweeps;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Compression.Tests.Sweeps;

/// <summary>
/// CompressionSweep on the trained test LeNet-5-BN: configurations decode into the plans they name, sensitivity gives
/// the starting points its table implies, trials report what ONNX Runtime measures on their saved models, and a
/// cancelled sweep resumes from its checkpoint without training a finished trial again.
/// </summary>
[TestClass]
public class CompressionSweepTests
{
    private static CompressionSweep.Options Options => new() { Seed = 3, Threads = 1, LatencyRounds = 2, ValidationRows = 1000 };

    private static SweepConfiguration Config(SweepSearchSpace space, SweepPruning pruning, SweepQuantization quantization, double rate = 0.5) =>
        space.Defaults().With(CompressionSearchSpace.Pruning, pruning).With(CompressionSearchSpace.Quantization, quantization).With(CompressionSearchSpace.PruneRate, rate);

    [TestMethod]
    public void DefaultSpaceCoversMethodsWidthsAndTeacherAndDecodesToSettings()
    {
        SweepSearchSpace space = CompressionSearchSpace.Create(TestModels.LeNetWithBatchNorm);
        CollectionAssert.AreEqual(new object[] { SweepPruning.None, SweepPruning.L1Norm, SweepPruning.NetworkSlimming, SweepPruning.Scop },
            space[CompressionSearchSpace.Pruning].Values.ToArray());
        CollectionAssert.AreEquivalent(new[] { "bits.conv1", "bits.conv2" },
            space.Parameters.Select(p => p.Name).Where(n => n.StartsWith("bits.", StringComparison.Ordinal)).ToArray());
        // The distillation weight comes from CompressionOptions' [Range(0, 1, 0.9)] attribute.
        SweepParameter weight = space["train.DistillationWeight"];
        Assert.AreEqual((0.0, 1.0, 0.9), (weight.Min, weight.Max, (double)weight.Default));
        // A network without BatchNorm cannot be slimmed, so the space leaves slimming out.
        CollectionAssert.DoesNotContain(CompressionSearchSpace.Create(Microsoft.ML.Compression.Zoo.NetworkZoo.LeNet5())[CompressionSearchSpace.Pruning].Values.ToArray(), SweepPruning.NetworkSlimming);

        var mixed = CompressionSearchSpace.Decode(Config(space, SweepPruning.L1Norm, SweepQuantization.MixedBits, 0.3).With("bits.conv2", 2).With(CompressionSearchSpace.Teacher, true), 2);
        Assert.AreEqual((SweepPruning.L1Norm, 0.3, SweepQuantization.MixedBits, true, 2), (mixed.Pruning, mixed.PruneRate, mixed.Quantization, mixed.Teacher, mixed.Epochs));
        CollectionAssert.AreEquivalent(new Dictionary<string, int> { ["conv1"] = 8, ["conv2"] = 2 }, mixed.LayerBits.ToDictionary(e => e.Key, e => e.Value));
        // Every layer at 8 bits is the int8 model; float settings carry no widths; no pruning means rate 0.
        var allEight = CompressionSearchSpace.Decode(Config(space, SweepPruning.None, SweepQuantization.MixedBits), 1);
        Assert.AreEqual((SweepQuantization.Int8, 0, 0.0), (allEight.Quantization, allEight.LayerBits.Count, allEight.PruneRate));
        Assert.AreEqual(0, CompressionSearchSpace.Decode(Config(space, SweepPruning.Scop, SweepQuantization.None).With("bits.conv1", 2), 1).LayerBits.Count);
    }

    [TestMethod]
    public void CanonicalConfigurationsResetWhatTheirTrialDoesNotRead()
    {
        SweepSearchSpace space = CompressionSearchSpace.Create(TestModels.LeNetWithBatchNorm, layerRates: true);
        SweepConfiguration Canonical(SweepConfiguration c) => CompressionSearchSpace.Canonical(space, c);
        SweepConfiguration defaults = space.Defaults();
        // No pruning: the rates are unread; int8: the widths are unread; no teacher: the distillation weight is unread.
        var int8 = Config(space, SweepPruning.None, SweepQuantization.Int8, 0.3).With("rate.conv1", 0.1).With("bits.conv2", 2).With("train.DistillationWeight", 0.2);
        Assert.AreEqual(Config(space, SweepPruning.None, SweepQuantization.Int8), Canonical(int8));
        // Slimming reads the one rate, not the per-layer ones; with a teacher the weight stays.
        var slim = Config(space, SweepPruning.NetworkSlimming, SweepQuantization.None, 0.3).With("rate.conv1", 0.1).With(CompressionSearchSpace.Teacher, true).With("train.DistillationWeight", 0.2);
        Assert.AreEqual(slim.With("rate.conv1", defaults["rate.conv1"]), Canonical(slim));
        // Every width 8 is the int8 model; a real mix keeps its widths, and L1 keeps its per-layer rates.
        Assert.AreEqual(SweepQuantization.Int8, Canonical(Config(space, SweepPruning.None, SweepQuantization.MixedBits)).Get<SweepQuantization>(CompressionSearchSpace.Quantization));
        var mixed = Config(space, SweepPruning.L1Norm, SweepQuantization.MixedBits).With("bits.conv2", 4).With("rate.conv1", 0.1);
        Assert.AreEqual(mixed, Canonical(mixed));
    }

    [TestMethod]
    public void CanonicalPruneRatesCountInStepsOfFivePercent()
    {
        SweepSearchSpace space = CompressionSearchSpace.Create(TestModels.LeNetWithBatchNorm, layerRates: true);
        SweepConfiguration Canonical(SweepConfiguration c) => CompressionSearchSpace.Canonical(space, c);
        double RateOf(SweepConfiguration c, string name = CompressionSearchSpace.PruneRate) => c.Get<double>(name);
        // 37.6% and 38.4% keep the same multiple-of-8 widths: one trial, at 40%.
        var low = Canonical(Config(space, SweepPruning.NetworkSlimming, SweepQuantization.Int8, 0.376));
        Assert.AreEqual(low, Canonical(Config(space, SweepPruning.NetworkSlimming, SweepQuantization.Int8, 0.384)));
        Assert.AreEqual(0.40, RateOf(low), 1e-12);
        Assert.AreEqual(0.35, RateOf(Canonical(Config(space, SweepPruning.Scop, SweepQuantization.None, 0.374))), 1e-12);
        // Rounding stays inside the range [0.25, 0.75]; per-layer rates round where L1 reads them.
        Assert.AreEqual(0.75, RateOf(Canonical(Config(space, SweepPruning.L1Norm, SweepQuantization.None, 0.749))), 1e-12);
        var perLayer = Canonical(Config(space, SweepPruning.L1Norm, SweepQuantization.None).With("rate.conv1", 0.137).With("rate.conv2", 0.012));
        Assert.AreEqual((0.15, 0.0), (RateOf(perLayer, "rate.conv1"), RateOf(perLayer, "rate.conv2")));
        // A configuration already on the steps is its own canonical form.
        var onStep = Config(space, SweepPruning.L1Norm, SweepQuantization.Int8, 0.45).With("rate.conv1", 0.3);
        Assert.AreEqual(onStep, Canonical(onStep));
    }

    [TestMethod]
    public void RatesThatKeepTheSameWidthsAreOneConfiguration()
    {
        NetworkGraph lenet = TestModels.LeNetWithBatchNorm;
        SweepSearchSpace space = CompressionSearchSpace.Create(lenet);
        SweepConfiguration Canonical(SweepConfiguration c) => CompressionSearchSpace.Canonical(space, c, lenet);
        double RateOf(SweepPruning pruning, double rate) => Canonical(Config(space, pruning, SweepQuantization.Int8, rate)).Get<double>(CompressionSearchSpace.PruneRate);
        // Widths round to multiples of 8 (conv2, 16 channels) and 2 (conv1, 6): 0.25 keeps 4 and 16; 0.30 to 0.55 all
        // keep 4 and 8 (e.g. 0.45: 6 - 3 = 3 ties up to 4, 16 - 7 = 9 rounds to 8); 0.60 to 0.75 (the range's top) keep 2 and 8.
        Assert.AreEqual(0.25, RateOf(SweepPruning.L1Norm, 0.25), 1e-12);
        foreach (double rate in new[] { 0.3, 0.4, 0.5, 0.55 })
        {
            Assert.AreEqual(0.55, RateOf(SweepPruning.L1Norm, rate), 1e-12, $"L1 {rate}");
            Assert.AreEqual(0.55, RateOf(SweepPruning.Scop, rate), 1e-12, $"SCOP {rate}");
        }
        Assert.AreEqual(0.75, RateOf(SweepPruning.L1Norm, 0.6), 1e-12);
        // Slimming's widths follow its global threshold after training, so its rates stay apart; so do they without the network.
        Assert.AreEqual(0.4, RateOf(SweepPruning.NetworkSlimming, 0.4), 1e-12);
        Assert.AreEqual(0.4, CompressionSearchSpace.Canonical(space, Config(space, SweepPruning.L1Norm, SweepQuantization.Int8, 0.4)).Get<double>(CompressionSearchSpace.PruneRate), 1e-12);
        // The distillation weight counts in tenths when a teacher reads it.
        var taught = Config(space, SweepPruning.None, SweepQuantization.Int8).With(CompressionSearchSpace.Teacher, true);
        Assert.AreEqual(Canonical(taught.With("train.DistillationWeight", 0.26)), Canonical(taught.With("train.DistillationWeight", 0.34)));
        Assert.AreEqual(0.3, Canonical(taught.With("train.DistillationWeight", 0.26)).Get<double>("train.DistillationWeight"), 1e-12);
    }

    [TestMethod]
    public void SensitivityStartsUseTheFewestBitsAndLargestRatesEachLayerTolerates()
    {
        SweepSearchSpace space = CompressionSearchSpace.Create(TestModels.LeNetWithBatchNorm, layerRates: true);
        // conv1 keeps its accuracy at 2 bits and 75% pruning; conv2 loses 3 points below 8 bits and 2 points at 50%.
        var rows = new List<SensitivityRow>
        {
            new("conv1", "bits", 8, 0.90, 0), new("conv1", "bits", 4, 0.90, 0), new("conv1", "bits", 2, 0.899, 0.1), new("conv1", "bits", 1, 0.5, 40),
            new("conv2", "bits", 8, 0.90, 0), new("conv2", "bits", 4, 0.87, 3), new("conv2", "bits", 2, 0.6, 30), new("conv2", "bits", 1, 0.1, 80),
            new("conv1", "prune", 0.25, 0.90, 0), new("conv1", "prune", 0.5, 0.90, 0), new("conv1", "prune", 0.75, 0.897, 0.3),
            new("conv2", "prune", 0.25, 0.899, 0.1), new("conv2", "prune", 0.5, 0.88, 2), new("conv2", "prune", 0.75, 0.7, 20),
        };
        var report = new SensitivityReport("lenet5", 1000, 0.90, rows);
        var points = CompressionSearchSpace.FromSensitivity(space, report, 0.5);
        Assert.AreEqual(3, points.Count, "mixed widths alone, with L1 pruning, and L1 pruning at int8");
        SweepConfiguration first = points[0];
        Assert.AreEqual(SweepQuantization.MixedBits, first.Get<SweepQuantization>(CompressionSearchSpace.Quantization));
        Assert.AreEqual((2, 8), (first.Get<int>("bits.conv1"), first.Get<int>("bits.conv2")));
        Assert.AreEqual((0.75, 0.25), (first.Get<double>("rate.conv1"), first.Get<double>("rate.conv2")));
        // The pruned start uses the median of the groups' tolerated rates (0.25 and 0.75 -> the upper one of two).
        Assert.AreEqual(SweepPruning.L1Norm, points[1].Get<SweepPruning>(CompressionSearchSpace.Pruning));
        Assert.AreEqual(0.75, points[1].Get<double>(CompressionSearchSpace.PruneRate), 1e-12);
        // The fast end: the same pruning, int8 instead of mixed widths.
        Assert.AreEqual(points[1].With(CompressionSearchSpace.Quantization, SweepQuantization.Int8), points[2]);
    }

    [TestMethod]
    public void TrialsReportWhatOnnxRuntimeMeasuresOnTheirSavedModels()
    {
        var c = TestModels.Compression;
        string folder = Path.Combine(Path.GetTempPath(), "mlc-sweep-" + Guid.NewGuid().ToString("N"));
        try
        {
            var sweep = c.CreateSweep(TestModels.LeNetWithBatchNorm, Options).SetDataset(TestModels.Train, TestModels.Test);
            SweepSearchSpace space = sweep.SearchSpace;
            var result = sweep
                .AddInitialConfigurations(
                    Config(space, SweepPruning.None, SweepQuantization.None),
                    Config(space, SweepPruning.None, SweepQuantization.Int8),
                    Config(space, SweepPruning.L1Norm, SweepQuantization.MixedBits).With("bits.conv2", 2))
                .SetTuner(SweepTuner.Grid(1)).SetMaxTrials(3)
                .AddConstraint(SweepConstraint.AtMost(CompressionMetrics.BytesRatio, 0.5))
                .RunAsync().GetAwaiter().GetResult();
            Assert.AreEqual(3, result.Sweep.Trials.Count, result.Sweep.ToCsv());
            Assert.IsTrue(result.Sweep.Trials.All(t => t.Succeeded), result.Sweep.ToCsv());
            var (fp32, int8, mixed) = (result.Sweep.Trials[0], result.Sweep.Trials[1], result.Sweep.Trials[2]);

            // The untouched configuration is the starting model: the same bytes and accuracy as the result's start.
            Assert.AreEqual(result.Start[CompressionMetrics.Bytes], fp32.Metrics[CompressionMetrics.Bytes]);
            Assert.AreEqual(result.Start[CompressionMetrics.Accuracy], fp32.Metrics[CompressionMetrics.Accuracy], 1e-12);
            foreach (SweepTrial t in result.Sweep.Trials)
                Assert.AreEqual((result.Start[CompressionMetrics.Accuracy] - t.Metrics[CompressionMetrics.Accuracy]) * 100, t.Metrics[CompressionMetrics.AccuracyDrop], 1e-9);
            Assert.AreEqual(0, fp32.Metrics[CompressionMetrics.AccuracyDrop]);
            Assert.IsTrue(int8.Metrics[CompressionMetrics.Bytes] < 0.4 * fp32.Metrics[CompressionMetrics.Bytes], result.Sweep.ToCsv());
            Assert.IsTrue(mixed.Metrics[CompressionMetrics.Bytes] < int8.Metrics[CompressionMetrics.Bytes], "pruned and 2-bit conv2 is smaller than int8");
            Assert.IsFalse(fp32.Feasible);
            Assert.IsTrue(int8.Feasible && mixed.Feasible);

            // Each trial's saved model, scored independently by ONNX Runtime, has the accuracy and size the trial reports.
            var paths = result.SaveModels(folder);
            CollectionAssert.Contains(paths.Select(Path.GetFileName).ToArray(), "best.onnx");
            float[] features = OnnxLatency.FirstRows(TestModels.Test, "Features", 1000);
            uint[] labels = TestModels.Test.GetColumn<uint>("Label").Take(1000).ToArray();
            foreach (SweepTrial trial in result.Sweep.Trials)
            {
                byte[] onnx = result.ModelOf(trial);
                Assert.AreEqual(trial.Metrics[CompressionMetrics.Bytes], onnx.Length);
                using var session = OnnxRunner.Open(onnx, 1);
                int[] predicted = OnnxRunner.Predict(session, features, labels.Length, 100);
                double accuracy = (double)predicted.Zip(labels).Count(p => p.First == p.Second - 1) / labels.Length;
                Assert.AreEqual(accuracy, trial.Metrics[CompressionMetrics.Accuracy], 1e-9, CompressionSweepResult.SettingsOf(trial).ToString());
            }
            Assert.AreEqual(result.Best!.Id, result.Sweep.Trials.Where(t => t.Feasible).OrderByDescending(t => t.Metrics[CompressionMetrics.Accuracy]).First().Id);

            // The size known before training never exceeds what the trained model weighs, and is close to it.
            foreach (SweepTrial trial in result.Sweep.Trials)
            {
                long bound = TrialSizeBound.LeastBytes(TestModels.LeNetWithBatchNorm, CompressionSearchSpace.Decode(trial.Configuration, 1), "Features")!.Value;
                double bytes = trial.Metrics[CompressionMetrics.Bytes];
                Console.WriteLine($"{CompressionSweepResult.SettingsOf(trial)}: bound {bound}, bytes {bytes}");
                Assert.IsTrue(bound <= bytes && bound >= 0.85 * bytes, $"{CompressionSweepResult.SettingsOf(trial)}: bound {bound}, bytes {bytes}");
            }
            Assert.IsNull(TrialSizeBound.LeastBytes(TestModels.LeNetWithBatchNorm, CompressionSearchSpace.Decode(Config(space, SweepPruning.NetworkSlimming, SweepQuantization.Int8), 1), "Features"),
                "slimming's widths follow its sparsity training");
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void ASweepReusesThePruningStepAnEarlierSweepOnTheSameDataTrained()
    {
        CompressionSweepResult Run(CompressionSweep sweep, SweepQuantization quantization) =>
            sweep.AddInitialConfigurations(Config(sweep.SearchSpace, SweepPruning.L1Norm, quantization).With("bits.conv2", 2))
                .SetTuner(SweepTuner.Grid(1)).SetMaxTrials(1).RunAsync().GetAwaiter().GetResult();
        CompressionSweep New() => TestModels.Compression.CreateSweep(TestModels.LeNetWithBatchNorm, Options).SetDataset(TestModels.Train, TestModels.Test);

        var earlier = New();
        Run(earlier, SweepQuantization.Int8);
        Assert.AreEqual(0, earlier.TrainedPhases.Hits);
        var later = New().ReuseTrainingFrom(earlier);
        var reused = Run(later, SweepQuantization.MixedBits);
        Assert.AreEqual(1, later.TrainedPhases.Hits, "the L1 step of the earlier sweep's trial is this trial's first step");
        var alone = New();
        var trained = Run(alone, SweepQuantization.MixedBits);
        Assert.AreEqual(0, alone.TrainedPhases.Hits);
        CollectionAssert.AreEqual(trained.ModelOf(trained.Sweep.Trials[0]), reused.ModelOf(reused.Sweep.Trials[0]), "reusing the step must not change the model");

        // Keys name the data's row counts, not its rows: another IDataView (here the same rows read again) is refused.
        var other = TestModels.Compression.CreateSweep(TestModels.LeNetWithBatchNorm, Options)
            .SetDataset(new MLContext(1).Data.Cache(TestModels.Train), TestModels.Test).ReuseTrainingFrom(earlier);
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => Run(other, SweepQuantization.MixedBits));
        StringAssert.Contains(e.Message, "trains on another train IDataView");
    }

    private sealed class CancelAfter(int trials, CancellationTokenSource cancel) : ISweepMonitor
    {
        public List<int> Started { get; } = new();

        public void TrialStarted(SweepTrialContext trial) => Started.Add(trial.Id);

        public void TrialCompleted(SweepTrial trial)
        {
            if (trial.Id >= trials) cancel.Cancel();
        }
    }

    [TestMethod]
    public void ACancelledSweepResumesFromItsCheckpointWithoutTrainingFinishedTrialsAgain()
    {
        string folder = Path.Combine(Path.GetTempPath(), "mlc-sweep-" + Guid.NewGuid().ToString("N"));
        try
        {
            CompressionSweep Sweep(ISweepMonitor monitor)
            {
                var sweep = TestModels.Compression.CreateSweep(TestModels.LeNetWithBatchNorm, Options).SetDataset(TestModels.Train, TestModels.Test);
                var space = new SweepSearchSpace()
                    .AddChoice(CompressionSearchSpace.Pruning, new object[] { SweepPruning.None, SweepPruning.L1Norm }, SweepPruning.None)
                    .AddChoice(CompressionSearchSpace.Quantization, new object[] { SweepQuantization.None, SweepQuantization.Int8 }, SweepQuantization.Int8);
                return sweep.SetSearchSpace(space).SetTuner(SweepTuner.Grid(1)).SetMaxTrials(4).SetCheckpointFolder(folder).SetMonitor(monitor);
            }
            using var cancel = new CancellationTokenSource();
            var first = new CancelAfter(2, cancel);
            var stopped = Sweep(first).RunAsync(cancel.Token).GetAwaiter().GetResult();
            Assert.AreEqual(SweepStopReason.Cancelled, stopped.Sweep.StopReason);
            CollectionAssert.AreEqual(new[] { 1, 2 }, first.Started.ToArray());

            var second = new CancelAfter(int.MaxValue, new CancellationTokenSource());
            var resumed = Sweep(second).RunAsync().GetAwaiter().GetResult();
            CollectionAssert.AreEqual(new[] { 3, 4 }, second.Started.ToArray(), "only the unfinished trials are trained");
            Assert.AreEqual(4, resumed.Sweep.Trials.Count);
            for (int i = 0; i < 2; i++)
                Assert.AreEqual(stopped.Sweep.Trials[i].Metrics[CompressionMetrics.Bytes], resumed.Sweep.Trials[i].Metrics[CompressionMetrics.Bytes]);
            Assert.AreEqual(4, resumed.Sweep.Trials.Select(t => t.Configuration.Key).Distinct().Count(), "the grid's four configurations, none twice");
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    private sealed class CancelWhenStarted(int trial, CancellationTokenSource cancel) : ISweepMonitor
    {
        public void TrialStarted(SweepTrialContext t)
        {
            if (t.Id == trial) cancel.Cancel();
        }
    }

    [TestMethod]
    public void ATrialCancelledWhileItTrainsIsNotRecorded()
    {
        using var cancel = new CancellationTokenSource();
        var sweep = TestModels.Compression.CreateSweep(TestModels.LeNetWithBatchNorm, Options).SetDataset(TestModels.Train, TestModels.Test);
        var space = new SweepSearchSpace().AddChoice(CompressionSearchSpace.Quantization, new object[] { SweepQuantization.None, SweepQuantization.Int8 }, SweepQuantization.None);
        var result = sweep.SetSearchSpace(space).SetTuner(SweepTuner.Grid(1)).SetMaxTrials(2).SetMonitor(new CancelWhenStarted(2, cancel))
            .RunAsync(cancel.Token).GetAwaiter().GetResult();
        Assert.AreEqual(SweepStopReason.Cancelled, result.Sweep.StopReason);
        Assert.AreEqual(1, result.Sweep.Trials.Count, "the int8 trial was stopped while training and left no result");
        Assert.IsTrue(result.Sweep.Trials[0].Succeeded);
    }
}
