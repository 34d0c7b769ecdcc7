using System;
using System.IO;
using System.Linq;
using System.Threading;
using Microsoft.ML.Compression.Estimators;
using Microsoft.ML.Compression.Quantization;
using Microsoft.ML.Compression.Training;
using Microsoft.ML.Compression.Zoo;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Compression.Tests.Training;

/// <summary>CheckpointDirectory (resume after a crash ends with the uninterrupted run's model) and ReturnPartialModelOnCancel.</summary>
[TestClass]
public class CheckpointTests
{
    private static readonly Lazy<IDataView> Rows = new(() => TestModels.Ml.Data.TakeRows(TestModels.Train, 300));

    private static NetworkTrainer.Options Settings(string? directory, OptimizerKind optimizer = OptimizerKind.Sgd, int epochs = 3) => new()
    {
        Epochs = epochs, BatchSize = 64, Seed = 11, Threads = 1, Optimizer = optimizer,
        LearningRate = optimizer == OptimizerKind.Adam ? 1e-3 : 0.05, CheckpointDirectory = directory,
    };

    private static byte[] Fit(NetworkTrainer.Options options)
    {
        using var model = TestModels.Compression.Train(NetworkZoo.LeNet5(batchNorm: true), options).Fit(Rows.Value);
        return model.OnnxModel;
    }

    // A Fit that stops (as a crash would) right after the checkpoint of epoch `after` is written.
    private static void FitAndStopAfter(NetworkTrainer.Options options, int after)
    {
        using var cts = new CancellationTokenSource();
        options.CancellationToken = cts.Token;
        options.OnEpoch = m => { if (m.Epoch == after) cts.Cancel(); };
        Assert.ThrowsExactly<OperationCanceledException>(() => Fit(options));
    }

    private static string NewDirectory() => Path.Combine(Path.GetTempPath(), "mlc-checkpoint-" + Guid.NewGuid().ToString("N"));

    [TestMethod]
    [DataRow(OptimizerKind.Sgd)]
    [DataRow(OptimizerKind.Adam)]
    public void AResumedRunEndsWithTheBytesOfAnUninterruptedOne(OptimizerKind optimizer)
    {
        string directory = NewDirectory();
        try
        {
            byte[] uninterrupted = Fit(Settings(null, optimizer));
            FitAndStopAfter(Settings(directory, optimizer), after: 1);
            var manifest = TrainingCheckpoint.Read(directory);
            Assert.IsNotNull(manifest);
            Assert.AreEqual(1, manifest.Epoch);

            int resumedEpochs = 0;
            var resume = Settings(directory, optimizer);
            resume.OnEpoch = _ => resumedEpochs++;
            byte[] resumed = Fit(resume);
            Assert.AreEqual(2, resumedEpochs, "the resumed Fit trains only the epochs after the checkpoint");
            CollectionAssert.AreEqual(uninterrupted, resumed, "resumed after epoch 1: identical ONNX bytes");
            Assert.AreEqual(3, TrainingCheckpoint.Read(directory)!.Epoch);
        }
        finally
        {
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        }
    }

    [TestMethod]
    public void ACheckpointOfAnotherRunIsRefusedNamingItsDirectory()
    {
        string directory = NewDirectory();
        try
        {
            FitAndStopAfter(Settings(directory), after: 1);
            var other = Settings(directory);
            other.LearningRate = 0.01;
            var e = Assert.ThrowsExactly<InvalidOperationException>(() => Fit(other));
            StringAssert.Contains(e.Message, directory);
            var longer = Settings(directory, epochs: 4);
            StringAssert.Contains(Assert.ThrowsExactly<InvalidOperationException>(() => Fit(longer)).Message, directory);
        }
        finally
        {
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        }
    }

    [TestMethod]
    public void ACheckpointIsWrittenUnderTemporaryNamesAndMovedSoACrashMidWriteLeavesThePreviousOne()
    {
        string directory = NewDirectory();
        try
        {
            byte[] uninterrupted = Fit(Settings(null));
            FitAndStopAfter(Settings(directory), after: 1);
            var manifest = TrainingCheckpoint.Read(directory)!;
            string[] files = Directory.GetFiles(directory).Select(Path.GetFileName).OrderBy(f => f, StringComparer.Ordinal).ToArray()!;
            CollectionAssert.AreEqual(new[] { TrainingCheckpoint.ManifestName, manifest.ModelFile, manifest.OptimizerFile, manifest.RandomFile, manifest.HookFile }.OrderBy(f => f, StringComparer.Ordinal).ToArray(), files,
                "one manifest and the files of its epoch; no temporary file is left");

            // A crash while writing epoch 2 leaves half-written temporary files (and perhaps some of epoch 2's files)
            // beside a manifest that still names epoch 1: the resume must use epoch 1 and give the same model.
            File.WriteAllBytes(Path.Combine(directory, $".model-2.bin.99999.tmp"), new byte[] { 1, 2, 3 });
            File.WriteAllBytes(Path.Combine(directory, $".{TrainingCheckpoint.ManifestName}.99999.tmp"), "{ \"Epoch\": 2,"u8.ToArray());
            File.WriteAllBytes(Path.Combine(directory, "model-2.bin"), new byte[] { 4, 5, 6 });
            CollectionAssert.AreEqual(uninterrupted, Fit(Settings(directory)));
        }
        finally
        {
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        }
    }

    private static byte[] Qat(string? directory, int epochs = 3, CancellationToken token = default, Action<EpochMetrics>? onEpoch = null, bool partial = false)
    {
        // QuantDelay and FreezeBatchNormAfter fall inside the run, so the switches' state crosses the checkpoint too.
        var options = new QuantizeAwareTrainer.Options
        {
            Epochs = epochs, BatchSize = 64, Seed = 11, Threads = 1, LearningRate = 0.01, QuantDelay = 3, FreezeBatchNormAfter = 7,
            ActivationRange = Microsoft.ML.Compression.Quantization.RangeTracking.Ema,
            CheckpointDirectory = directory, CancellationToken = token, OnEpoch = onEpoch, ReturnPartialModelOnCancel = partial,
            // The export's int8-or-float choice follows ONNX Runtime timings, which vary with the machine's load between
            // two runs; what must match here is the training state across the checkpoint.
            Latency = new Int8LatencyOptions { Check = Int8LatencyCheck.Off },
        };
        using var model = TestModels.Compression.QuantizeAwareTraining(TestModels.LeNetWithBatchNorm, options).Fit(Rows.Value);
        return model.OnnxModel;
    }

    [TestMethod]
    public void AResumedQuantizationAwareTrainingEndsWithTheBytesOfAnUninterruptedOne()
    {
        string directory = NewDirectory();
        try
        {
            byte[] uninterrupted = Qat(null);
            using (var cts = new CancellationTokenSource())
                Assert.ThrowsExactly<OperationCanceledException>(() => Qat(directory, token: cts.Token, onEpoch: m => { if (m.Epoch == 1) cts.Cancel(); }));
            Assert.AreEqual(1, TrainingCheckpoint.Read(directory)!.Epoch);
            int resumedEpochs = 0;
            byte[] resumed = Qat(directory, onEpoch: _ => resumedEpochs++);
            Assert.AreEqual(2, resumedEpochs);
            CollectionAssert.AreEqual(uninterrupted, resumed, "SimQAT resumed after epoch 1 (observers' ranges restored): identical ONNX bytes");

            // Cancelled after epoch 1 with ReturnPartialModelOnCancel, SimQAT returns a model (its observers as after epoch 1).
            using var stop = new CancellationTokenSource();
            Assert.IsTrue(Qat(null, token: stop.Token, onEpoch: m => { if (m.Epoch == 1) stop.Cancel(); }, partial: true).Length > 0);
        }
        finally
        {
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        }
    }

    [TestMethod]
    public void EveryTrainingMethodAcceptsTheOptions()
    {
        // Every method's hooks keep their state in the checkpoint now (MethodCheckpointTests resumes each one).
        var c = TestModels.Compression;
        c.QuantizeAwareTraining(TestModels.LeNetWithBatchNorm, new QuantizeAwareTrainer.Options { WeightBits = 2, CheckpointDirectory = "checkpoints" });
        c.QuantizeAwareTraining(TestModels.LeNetWithBatchNorm, new QuantizeAwareTrainer.Options { Teacher = TestModels.LeNetWithBatchNorm, CheckpointDirectory = "checkpoints" });
        c.Distill(NetworkZoo.LeNet5(), TestModels.LeNetWithBatchNorm, new Distiller.Options { CheckpointDirectory = "checkpoints" });
        c.L1NormPruning(TestModels.LeNetWithBatchNorm, new L1NormPruner.Options { ReturnPartialModelOnCancel = true });
        c.Slb(TestModels.LeNetWithBatchNorm, new SlbQuantizer.Options { CheckpointDirectory = "checkpoints" });
        c.NetworkSlimming(TestModels.LeNetWithBatchNorm, new NetworkSlimming.Options { CheckpointDirectory = "checkpoints" });
        c.Scop(TestModels.LeNetWithBatchNorm, new ScopPruner.Options { CheckpointDirectory = "checkpoints" });
        c.Train(NetworkZoo.LeNet5(), new NetworkTrainer.Options { Teacher = TestModels.LeNetWithBatchNorm, CheckpointDirectory = "checkpoints" });
    }

    [TestMethod]
    public void ACancelledFitReturnsTheModelOfItsLastCompletedEpochWhenAsked()
    {
        using var cts = new CancellationTokenSource();
        var options = Settings(null);
        options.ReturnPartialModelOnCancel = true;
        options.CancellationToken = cts.Token;
        options.OnEpoch = m => { if (m.Epoch == 1) cts.Cancel(); };
        using var model = TestModels.Compression.Train(NetworkZoo.LeNet5(batchNorm: true), options).Fit(Rows.Value);
        Assert.AreEqual(1, model.Report.History.Count);
        Assert.IsNotNull(model.Report.PartialModel);
        StringAssert.Contains(model.Report.PartialModel, "epoch 1 of 3");

        // Cancelled before any epoch completed there is no model to return.
        using var early = new CancellationTokenSource();
        early.Cancel();
        var none = Settings(null);
        none.ReturnPartialModelOnCancel = true;
        none.CancellationToken = early.Token;
        Assert.ThrowsExactly<OperationCanceledException>(() => Fit(none));
    }
}
