using System;
using System.Collections.Concurrent;
using System.IO;
using System.Threading;
using Microsoft.ML.Compression.Distillation;
using Microsoft.ML.Compression.Estimators;
using Microsoft.ML.Compression.Quantization;
using Microsoft.ML.Compression.Training;
using Microsoft.ML.Compression.Zoo;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Compression.Tests.Training;

/// <summary>
/// CheckpointDirectory and ReturnPartialModelOnCancel on every training method: a Fit stopped after any epoch (in any
/// phase of a multi-phase method) and started again on the same folder ends with the uninterrupted run's bytes.
/// </summary>
[TestClass]
public class MethodCheckpointTests
{
    private static readonly Lazy<IDataView> Rows = new(() => TestModels.Ml.Data.TakeRows(TestModels.Train, 256));
    private static readonly ConcurrentDictionary<string, byte[]> Uninterrupted = new();

    // Each method with tiny settings; `epochs` is every epoch its Fit trains, over all its phases.
    private static IEstimator<CompressedModelTransformer> Method(string method, string? directory, CancellationToken token, Action<EpochMetrics>? onEpoch, bool partial)
    {
        var c = TestModels.Compression;
        var start = TestModels.LeNetWithBatchNorm;
        T With<T>(T o) where T : CompressionOptions
        {
            o.BatchSize = 64;
            o.Seed = 11;
            o.Threads = 1;
            o.CheckpointDirectory = directory;
            o.CancellationToken = token;
            o.OnEpoch = onEpoch;
            o.ReturnPartialModelOnCancel = partial;
            return o;
        }
        return method switch
        {
            "slb" => c.Slb(start, With(new SlbQuantizer.Options { Epochs = 2, WeightBits = 2, QuantizeActivations = true, BatchNormCalibrationRows = 128, TemperatureFactor = 4 })),
            "slimming" => c.NetworkSlimming(start, With(new NetworkSlimming.Options { SparsityEpochs = 2, Epochs = 2, PruneRate = 0.3, Sparsity = 1e-3, LearningRate = 0.01 })),
            "scop" => c.Scop(start, With(new ScopPruner.Options { ControlEpochs = 2, Epochs = 2, KnockoffRows = 128, LearningRate = 0.01 })),
            "l1" => c.L1NormPruning(start, With(new L1NormPruner.Options { Epochs = 2, PruneRate = 0.3, LearningRate = 0.01 })),
            // fc2 (84) -> fc1 (120) needs an adapter, whose weights and optimizer state must cross the checkpoint.
            "distill" => c.Distill(NetworkZoo.LeNet5(batchNorm: true), start,
                With(new Distiller.Options { Epochs = 2, LearningRate = 0.01, Hints = new[] { new FeatureHint("fc2", "fc1") } })),
            "qat4" => c.QuantizeAwareTraining(start, With(new QuantizeAwareTrainer.Options { Epochs = 2, WeightBits = 4, LearningRate = 0.01 })),
            // Check = Off: the measured int8 check's choice follows timings, which differ between two runs under load.
            "qat-teacher" => c.QuantizeAwareTraining(start, With(new QuantizeAwareTrainer.Options
            {
                Epochs = 2, LearningRate = 0.01, Teacher = start, Latency = new Int8LatencyOptions { Check = Int8LatencyCheck.Off },
            })),
            "train-teacher" => c.Train(NetworkZoo.LeNet5(batchNorm: true), With(new NetworkTrainer.Options { Epochs = 2, LearningRate = 0.01, Teacher = start })),
            _ => throw new ArgumentException(method),
        };
    }

    private static byte[] Fit(string method, string? directory, CancellationToken token = default, Action<EpochMetrics>? onEpoch = null)
    {
        using var model = Method(method, directory, token, onEpoch, partial: false).Fit(Rows.Value);
        return model.OnnxModel;
    }

    private static string NewDirectory() => Path.Combine(Path.GetTempPath(), "mlc-checkpoint-" + Guid.NewGuid().ToString("N"));

    [TestMethod]
    [DataRow("slb", 1, 2)]
    [DataRow("slimming", 1, 4, DisplayName = "slimming stopped in sparsity training")]
    [DataRow("slimming", 3, 4, DisplayName = "slimming stopped in fine-tuning")]
    [DataRow("scop", 1, 4, DisplayName = "scop stopped in the control phase")]
    [DataRow("scop", 2, 4, DisplayName = "scop stopped at the end of the control phase")]
    [DataRow("scop", 3, 4, DisplayName = "scop stopped in fine-tuning")]
    [DataRow("l1", 1, 2)]
    [DataRow("distill", 1, 2)]
    [DataRow("qat4", 1, 2)]
    [DataRow("qat-teacher", 1, 2)]
    [DataRow("train-teacher", 1, 2)]
    public void EveryMethodResumesToTheBytesOfAnUninterruptedRun(string method, int stopAfter, int epochs)
    {
        string directory = NewDirectory();
        try
        {
            byte[] uninterrupted = Uninterrupted.GetOrAdd(method, m => Fit(m, null));
            using (var cts = new CancellationTokenSource())
            {
                int seen = 0;
                Assert.ThrowsExactly<OperationCanceledException>(() => Fit(method, directory, cts.Token, _ => { if (++seen == stopAfter) cts.Cancel(); }));
            }
            int resumed = 0;
            byte[] bytes = Fit(method, directory, onEpoch: _ => resumed++);
            Assert.AreEqual(epochs - stopAfter, resumed, "the resumed Fit trains only the epochs after the checkpoint");
            CollectionAssert.AreEqual(uninterrupted, bytes, $"{method} resumed after epoch {stopAfter}: identical ONNX bytes");
        }
        finally
        {
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        }
    }

    [TestMethod]
    public void AMultiPhaseMethodKeepsEachPhaseInItsOwnFolder()
    {
        string directory = NewDirectory();
        try
        {
            Fit("scop", directory);
            Assert.AreEqual(2, TrainingCheckpoint.Read(Path.Combine(directory, ScopPruner.ControlFolder))!.Epoch);
            Assert.AreEqual(2, TrainingCheckpoint.Read(Path.Combine(directory, ScopPruner.FineTuneFolder))!.Epoch);
            Assert.IsNull(TrainingCheckpoint.Read(directory), "no loop writes into the folder itself");
        }
        finally
        {
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        }
    }

    private static CompressedModelTransformer FitPartial(string method, int stopAfter)
    {
        using var cts = new CancellationTokenSource();
        int seen = 0;
        return Method(method, null, cts.Token, _ => { if (++seen == stopAfter) cts.Cancel(); }, partial: true).Fit(Rows.Value);
    }

    [TestMethod]
    public void ACancelledMultiPhaseMethodReturnsItsBestModelAndSaysWhichPhase()
    {
        long startParameters = TestModels.LeNetWithBatchNorm.ParameterCount;

        // Cancelled in sparsity training: the network pruned by that epoch's gammas, not fine-tuned.
        using (var sparsity = FitPartial("slimming", 1))
        {
            StringAssert.Contains(sparsity.Report.PartialModel, "sparsity training: cancelled after epoch 1 of 2");
            Assert.AreEqual(1, sparsity.Report.History.Count);
            Assert.IsTrue(sparsity.Network.ParameterCount < startParameters, "the returned model is pruned");
            Assert.IsNotNull(sparsity.Pruning);
        }

        // Cancelled in fine-tuning: the fine-tuned model of the last completed epoch.
        using (var fineTuning = FitPartial("scop", 3))
        {
            StringAssert.Contains(fineTuning.Report.PartialModel, "Fine-tuning: cancelled after epoch 1 of 2");
            Assert.AreEqual(3, fineTuning.Report.History.Count);
            Assert.IsTrue(fineTuning.Network.ParameterCount < startParameters);
        }

        // Low-bit training keeps its activation ranges (and SLB its temperature) in the partial model too.
        foreach (string lowBitMethod in new[] { "qat4", "slb" })
            using (var lowBit = FitPartial(lowBitMethod, 1))
                StringAssert.Contains(lowBit.Report.PartialModel, "epoch 1 of 2");

        // Cancelled before the first phase completed an epoch there is nothing to return (here before Fit starts).
        using var early = new CancellationTokenSource();
        early.Cancel();
        Assert.ThrowsExactly<OperationCanceledException>(() => Method("slimming", null, early.Token, null, partial: true).Fit(Rows.Value));
    }

    // L1 pruning (1 epoch), then int8 QAT (2 epochs); steps set no seed, so the plan draws theirs from its own.
    private static byte[] FitPlan(string directory, double pruneRate = 0.3, CancellationToken token = default, Action<EpochMetrics>? onEpoch = null,
        System.Collections.Generic.List<string>? log = null)
    {
        var ml = new MLContext(seed: 0);
        if (log is not null) ml.Log += (_, e) => { lock (log) log.Add(e.Message); };
        using var model = ml.Transforms.Compression.Plan(TestModels.LeNetWithBatchNorm, new CompressionPlan.Options { CheckpointDirectory = directory, Seed = 5, Threads = 1 })
            .L1NormPruning(new L1NormPruner.Options { Epochs = 1, PruneRate = pruneRate, BatchSize = 64, Threads = 1, LearningRate = 0.01, OnEpoch = onEpoch, CancellationToken = token })
            .QuantizeAwareTraining(new QuantizeAwareTrainer.Options
            {
                Epochs = 2, BatchSize = 64, Threads = 1, OnEpoch = onEpoch, CancellationToken = token,
                Latency = new Int8LatencyOptions { Check = Int8LatencyCheck.Off }, // int8 whatever the timings under load
            })
            .Fit(Rows.Value);
        Assert.AreEqual(3, model.Plan!.Steps.Count);
        Assert.IsNotNull(model.Pruning, "the pruning step's report survives a resume");
        return model.OnnxModel;
    }

    [TestMethod]
    public void APlanStoppedInItsSecondStepResumesWithoutRunningTheFirstAgain()
    {
        string fresh = NewDirectory(), directory = NewDirectory();
        try
        {
            byte[] uninterrupted = FitPlan(fresh);
            using (var cts = new CancellationTokenSource())
            {
                int seen = 0;
                Assert.ThrowsExactly<OperationCanceledException>(() => FitPlan(directory, token: cts.Token, onEpoch: _ => { if (++seen == 2) cts.Cancel(); }));
            }
            Assert.IsTrue(File.Exists(Path.Combine(directory, "step-1-L1NormPruning.onnx")));
            Assert.AreEqual(1, TrainingCheckpoint.Read(Path.Combine(directory, "step-2-QuantizeAwareTraining"))!.Epoch);

            int resumed = 0;
            var log = new System.Collections.Generic.List<string>();
            byte[] bytes = FitPlan(directory, onEpoch: _ => resumed++, log: log);
            Assert.AreEqual(1, resumed, "only QAT's second epoch trains; L1 is loaded, not run");
            Assert.IsTrue(log.Exists(l => l.Contains("resumed: step 1 L1NormPruning loaded from")), "the skipped step is logged");
            CollectionAssert.AreEqual(uninterrupted, bytes, "resumed plan: identical ONNX bytes");
        }
        finally
        {
            foreach (string d in new[] { fresh, directory })
                if (Directory.Exists(d)) Directory.Delete(d, recursive: true);
        }
    }

    [TestMethod]
    public void AnotherPlansFolderIsRefusedNamingIt()
    {
        string directory = NewDirectory();
        try
        {
            using (var cts = new CancellationTokenSource())
                Assert.ThrowsExactly<OperationCanceledException>(() => FitPlan(directory, token: cts.Token, onEpoch: _ => cts.Cancel()));
            var e = Assert.ThrowsExactly<InvalidOperationException>(() => FitPlan(directory, pruneRate: 0.5));
            StringAssert.Contains(e.Message, directory);
        }
        finally
        {
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        }
    }
}
