using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.ML.Compression.Estimators;
using Microsoft.ML.Compression.Scoring;
using Microsoft.ML.Compression.Zoo;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;

namespace Microsoft.ML.Compression.Tests.Estimators;

/// <summary>How a Fit behaves in its MLContext and process: seed, cancellation, logs, concurrency and temp files.</summary>
[TestClass]
public class FitRuntimeTests
{
    private static readonly Lazy<IDataView> Rows = new(() => TestModels.Ml.Data.TakeRows(TestModels.Train, 600));

    private static byte[] TrainOnce(MLContext ml, int? seed = null, int? threads = null)
    {
        using var model = ml.Transforms.Compression.Train(NetworkZoo.LeNet5(batchNorm: true),
            new NetworkTrainer.Options { Epochs = 1, Seed = seed, Threads = threads }).Fit(Rows.Value);
        return model.OnnxModel;
    }

    [TestMethod]
    public void TheMLContextSeedDrivesARunWhoseOptionsLeaveSeedUnset()
    {
        byte[] first = TrainOnce(new MLContext(seed: 3));
        CollectionAssert.AreEqual(first, TrainOnce(new MLContext(seed: 3)), "same context seed, same data: identical ONNX bytes");
        CollectionAssert.AreNotEqual(first, TrainOnce(new MLContext(seed: 4)), "another context seed: other weights");
        CollectionAssert.AreEqual(TrainOnce(new MLContext(seed: 5), seed: 7), TrainOnce(new MLContext(seed: 6), seed: 7), "the options' seed wins");
    }

    // ML.NET 5 keeps MLContext.CancelExecution internal (AutoML calls it to stop trials); call it the same way.
    private static void CancelExecution(MLContext ml) =>
        typeof(MLContext).GetMethod("CancelExecution", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic)!.Invoke(ml, null);

    [TestMethod]
    public void CancelExecutionStopsATrainingFitBeforeItsNextBatch()
    {
        var ml = new MLContext(seed: 0);
        int epochs = 0;
        var estimator = ml.Transforms.Compression.Train(NetworkZoo.LeNet5(), new NetworkTrainer.Options
        {
            Epochs = 5,
            OnEpoch = _ =>
            {
                epochs++;
                CancelExecution(ml);
            },
        });
        Assert.ThrowsExactly<OperationCanceledException>(() => estimator.Fit(Rows.Value));
        Assert.AreEqual(1, epochs, "no batch ran after the cancel");
        // ML.NET keeps a cancelled context cancelled: a calibration-only method refuses to start.
        Assert.ThrowsExactly<OperationCanceledException>(() => ml.Transforms.Compression.PostTrainingQuantization(TestModels.LeNet).Fit(Rows.Value));
    }

    [TestMethod]
    public void TheOptionsTokenStopsTrainingCalibrationAndPlans()
    {
        using var cts = new CancellationTokenSource();
        int epochs = 0;
        var c = TestModels.Compression;
        var qat = c.QuantizeAwareTraining(TestModels.LeNet, new QuantizeAwareTrainer.Options
        {
            Epochs = 3, CancellationToken = cts.Token, OnEpoch = _ => { epochs++; cts.Cancel(); },
        });
        Assert.ThrowsExactly<OperationCanceledException>(() => qat.Fit(Rows.Value));
        Assert.AreEqual(1, epochs);
        Assert.ThrowsExactly<OperationCanceledException>(() =>
            c.PostTrainingQuantization(TestModels.LeNet, new PostTrainingQuantizer.Options { CancellationToken = cts.Token }).Fit(Rows.Value));
        Assert.ThrowsExactly<OperationCanceledException>(() =>
            c.Plan(TestModels.LeNetWithBatchNorm, new CompressionPlan.Options { CancellationToken = cts.Token }).L1NormPruning().Fit(Rows.Value));
        Assert.AreEqual(0, Directory.GetFiles(TempModelFile.ProcessFolder).Length, "a cancelled Fit leaves no model file");
    }

    [TestMethod]
    public void AFailingPlanStepReleasesTheModelsBeforeIt()
    {
        using var cts = new CancellationTokenSource();
        var plan = TestModels.Compression.Plan(TestModels.LeNetWithBatchNorm)
            .L1NormPruning(new L1NormPruner.Options { Epochs = 1 })
            .QuantizeAwareTraining(new QuantizeAwareTrainer.Options { Epochs = 2, CancellationToken = cts.Token, OnEpoch = _ => cts.Cancel() });
        Assert.ThrowsExactly<OperationCanceledException>(() => plan.Fit(Rows.Value));
        Assert.AreEqual(0, Directory.GetFiles(TempModelFile.ProcessFolder).Length, "the first step's model was released");
    }

    [TestMethod]
    public void LogsReachTheMLContext()
    {
        var ml = new MLContext(seed: 0);
        var lines = new List<string>();
        ml.Log += (_, e) => { lock (lines) lines.Add($"{e.Source}: {e.RawMessage}"); };
        TrainOnce(ml);
        using (ml.Transforms.Compression.PostTrainingQuantization(TestModels.LeNet, calibrationSamples: 64).Fit(Rows.Value)) { }
        Assert.IsTrue(lines.Any(l => l.Contains("Compression.Train", StringComparison.Ordinal) && l.Contains("epoch 1/1", StringComparison.Ordinal)), string.Join("\n", lines.Take(20)));
        Assert.IsTrue(lines.Any(l => l.Contains("Compression.PostTrainingQuantization", StringComparison.Ordinal) && l.Contains("Calibrating", StringComparison.Ordinal)));
        Assert.IsTrue(lines.Count(l => l.Contains("Compression.", StringComparison.Ordinal)) > 3);
    }

    [TestMethod]
    public void TwoFitsAtOnceGiveTheModelsOfTwoFitsInARowAndLeaveTheThreadCount()
    {
        int threads = torch.get_num_threads();
        byte[] a = TrainOnce(new MLContext(), seed: 1, threads: 1), b = TrainOnce(new MLContext(), seed: 2, threads: 2);
        Task<byte[]> ta = Task.Run(() => TrainOnce(new MLContext(), seed: 1, threads: 1));
        Task<byte[]> tb = Task.Run(() => TrainOnce(new MLContext(), seed: 2, threads: 2));
        Task.WaitAll(ta, tb);
        CollectionAssert.AreEqual(a, ta.Result);
        CollectionAssert.AreEqual(b, tb.Result);
        Assert.AreEqual(threads, torch.get_num_threads(), "the process's torch thread count is as it was");
    }

    [TestMethod]
    public void NoModelFileOutlivesItsUse()
    {
        string folder = TempModelFile.ProcessFolder;
        using (var model = TestModels.Compression.PostTrainingQuantization(TestModels.LeNet, calibrationSamples: 64).Fit(Rows.Value))
        {
            Assert.AreEqual(0, Directory.GetFiles(folder).Length, "ONNX Runtime loaded the model; the file is gone");
            using var stream = new MemoryStream();
            TestModels.Ml.Model.Save(model, Rows.Value.Schema, stream); // the save reads the file: it comes back for it
            Assert.IsTrue(stream.Length > 10_000);
            Assert.AreEqual(0, Directory.GetFiles(folder).Length, "and goes again after the save");
            TestModels.Ml.Model.Save(model, Rows.Value.Schema, new MemoryStream()); // a second save still works
        }
        Assert.AreEqual(0, Directory.GetFiles(folder).Length);

        // A process that crashed left its folder; the next one that scores a model removes it.
        string root = Path.Combine(Path.GetTempPath(), $"mlcompression-sweep-{Guid.NewGuid():N}");
        string dead = Path.Combine(root, "999999999-1"), alive = Path.Combine(root, Path.GetFileName(folder));
        // Another process sees this one's start time slightly differently (on Linux it is derived from the uptime).
        string[] parts = Path.GetFileName(folder).Split('-');
        string aliveSeenElsewhere = Path.Combine(root, $"{parts[0]}-{long.Parse(parts[1]) + TimeSpan.TicksPerSecond}");
        string reused = Path.Combine(root, $"{parts[0]}-{long.Parse(parts[1]) - TimeSpan.TicksPerDay}");
        foreach (string d in new[] { dead, alive, aliveSeenElsewhere, reused }) Directory.CreateDirectory(d);
        File.WriteAllBytes(Path.Combine(dead, "model-1.onnx"), new byte[] { 1 });
        try
        {
            TempModelFile.SweepDeadProcesses(root);
            Assert.IsFalse(Directory.Exists(dead), "a dead process's folder is removed");
            Assert.IsFalse(Directory.Exists(reused), "so is the folder of a process whose id was reused");
            Assert.IsTrue(Directory.Exists(alive) && Directory.Exists(aliveSeenElsewhere), "a live process's folder stays");
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
