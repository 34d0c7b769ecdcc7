using System;
using System.Diagnostics;
using System.IO;
using System.Threading;
using Microsoft.ML.Compression.Training;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Compression.Tests.Cli;

/// <summary>A training process killed mid-epoch resumes from its checkpoint and ends with the uninterrupted run's model.</summary>
[TestClass]
public sealed class CheckpointKillTests
{
    private static string[] TrainArguments(string output, string? checkpoint)
    {
        string images = Path.Combine(TestData.MnistDirectory, "train-images-idx3-ubyte"), labels = Path.Combine(TestData.MnistDirectory, "train-labels-idx1-ubyte");
        var args = new System.Collections.Generic.List<string>
        {
            "train", "--network", "lenet5-bn", "--data", images, "--labels", labels, "--max-images", "600", "--epochs", "4",
            "--batch-size", "32", "--optimizer", "sgd", "--lr", "0.02", "--seed", "5", "--threads", "1", "-o", output,
        };
        if (checkpoint is not null) args.AddRange(new[] { "--checkpoint", checkpoint });
        return args.ToArray();
    }

    [TestMethod]
    public void AKilledTrainingProcessResumesFromItsCheckpointWithTheUninterruptedBytes()
    {
        string work = Path.Combine(Path.GetTempPath(), "mlc-kill-" + Guid.NewGuid().ToString("N"));
        string checkpoint = Path.Combine(work, "checkpoint");
        Directory.CreateDirectory(work);
        try
        {
            // The first process trains with checkpoints and is killed as soon as the first one exists (epoch 2 is running).
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.ArgumentList.Add(CliProcess.ToolDll);
            foreach (string a in TrainArguments(Path.Combine(work, "killed.onnx"), checkpoint)) start.ArgumentList.Add(a);
            using (var process = Process.Start(start)!)
            {
                var stdout = process.StandardOutput.ReadToEndAsync();
                var stderr = process.StandardError.ReadToEndAsync();
                string manifest = Path.Combine(checkpoint, TrainingCheckpoint.ManifestName);
                var watch = Stopwatch.StartNew();
                while (!File.Exists(manifest) && !process.HasExited && watch.Elapsed < TimeSpan.FromMinutes(3)) Thread.Sleep(10);
                Assert.IsFalse(process.HasExited, $"the process ended before it could be killed: exit code {process.ExitCode}\n{stderr.Result}");
                Assert.IsTrue(File.Exists(manifest), "no checkpoint within 3 minutes");
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
                _ = stdout.Result;
            }
            var kept = TrainingCheckpoint.Read(checkpoint)!;
            Assert.IsTrue(kept.Epoch is >= 1 and < 4, $"killed after epoch {kept.Epoch} of 4");
            Assert.IsFalse(File.Exists(Path.Combine(work, "killed.onnx")), "the killed run wrote no model");

            // Running the same command again continues from the checkpoint; a run without one trains all 4 epochs.
            string resumedPath = Path.Combine(work, "resumed.onnx"), plainPath = Path.Combine(work, "plain.onnx");
            var resumed = CliProcess.Run(TrainArguments(resumedPath, checkpoint));
            Assert.AreEqual(0, resumed.ExitCode, resumed.ToString());
            var plain = CliProcess.Run(TrainArguments(plainPath, null));
            Assert.AreEqual(0, plain.ExitCode, plain.ToString());
            StringAssert.Contains(plain.Stderr, "epoch 1/4");
            Assert.IsFalse(resumed.Stderr.Contains("epoch 1/4", StringComparison.Ordinal), $"the resumed run retrained epoch 1: {resumed.Stderr}");
            StringAssert.Contains(resumed.Stderr, "epoch 4/4");
            Console.WriteLine($"killed after epoch {kept.Epoch} of 4, resumed: identical bytes");
            CollectionAssert.AreEqual(File.ReadAllBytes(plainPath), File.ReadAllBytes(resumedPath),
                $"killed after epoch {kept.Epoch} and resumed: identical ONNX bytes");
            Assert.AreEqual(4, TrainingCheckpoint.Read(checkpoint)!.Epoch);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}
