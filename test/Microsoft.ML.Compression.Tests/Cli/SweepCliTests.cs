using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading;
using Microsoft.ML.Compression.Analysis;
using Microsoft.ML.Compression.Datasets;
using Microsoft.ML.Compression.Tests.Fixtures;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Compression.Tests.Cli;

/// <summary>
/// mlnet-compress sweep run as a process on the LeNet-5 ONNX fixture and a few hundred MNIST images: it writes the
/// result files, a killed sweep resumes from its checkpoint without training a finished trial again, and bad
/// arguments fail with one line and the usual exit codes.
/// </summary>
[TestClass]
public sealed class SweepCliTests
{
    private static string _work = null!;

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static void CreateWorkFolder(TestContext context) =>
        _work = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"mlnet-compress-sweep-{Guid.NewGuid():N}")).FullName;

    [ClassCleanup]
    public static void DeleteWorkFolder()
    {
        if (_work is not null && Directory.Exists(_work)) Directory.Delete(_work, recursive: true);
    }

    private static string Fixture => OnnxFixtures.Get("lenet_bn_opset9").Path; // 28x28 gray, batch 1, pixel / 255

    /// <summary>A tiny sweep: 300 training and 300 validation images, 1 epoch, 1 thread.</summary>
    private static string[] SweepArguments(string output, int trials, params string[] extra)
    {
        string mnist = TestData.MnistDirectory;
        return new[]
        {
            "sweep", Fixture,
            "--data", Path.Combine(mnist, "train-images-idx3-ubyte"), "--labels", Path.Combine(mnist, "train-labels-idx1-ubyte"),
            "--validation", Path.Combine(mnist, "t10k-images-idx3-ubyte"), "--validation-labels", Path.Combine(mnist, "t10k-labels-idx1-ubyte"),
            "--max-images", "300", "--trials", trials.ToString(System.Globalization.CultureInfo.InvariantCulture), "--epochs", "1", "--threads", "1",
            "--seed", "1", "-o", output,
        }.Concat(extra).ToArray();
    }

    /// <summary>The ids of the trials a run evaluated itself: its "trial N [settings]: ..." lines (replayed ones read "trial N (fidelity F): ... (from checkpoint)").</summary>
    private static int[] TrainedTrials(string stderr) =>
        Regex.Matches(stderr, @"^trial (\d+) \[", RegexOptions.Multiline).Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    /// <summary>The ids of the complete lines of a checkpoint's trials.jsonl.</summary>
    private static int[] CheckpointedTrials(string checkpoint)
    {
        string text = File.ReadAllText(Path.Combine(checkpoint, "trials.jsonl"));
        return text.Split('\n').SkipLast(1) // the part after the last newline is unfinished (or empty)
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("id").GetInt32()).ToArray();
    }

    [TestMethod]
    public void Sweep_ThreeTrials_WritesTheResults_AndBestLoadsInOnnxRuntime()
    {
        string output = Path.Combine(_work, "three");
        var clock = Stopwatch.StartNew();
        var run = CliProcess.Run(SweepArguments(output, 3));
        TestContext.WriteLine($"mlnet-compress sweep (3 trials) took {clock.Elapsed.TotalSeconds:F1} s");
        Assert.AreEqual(0, run.ExitCode, run.ToString());
        StringAssert.Contains(run.Stdout, "3 trial(s)");
        CollectionAssert.AreEqual(new[] { 1, 2, 3 }, TrainedTrials(run.Stderr), run.Stderr);

        string[] csv = File.ReadAllLines(Path.Combine(output, "trials.csv"));
        Assert.HasCount(4, csv, "a header and one row per trial");
        StringAssert.StartsWith(csv[0], "id,fidelity,");
        foreach (string file in new[] { "pareto.json", "pareto.png", "fp32.onnx", "best.onnx", "pareto-1.onnx", "report.json" })
            Assert.IsTrue(File.Exists(Path.Combine(output, file)), $"{file} was not written");
        Assert.IsTrue(File.Exists(Path.Combine(output, "checkpoint", "trials.jsonl")), "the default checkpoint is under the output folder");

        // best.onnx is the smallest feasible trial (or, with none feasible, the file of the trial closest to feasible).
        string[] header = csv[0].Split(',');
        var rows = csv.Skip(1).Select(l => l.Split(',')).ToArray();
        int bytesColumn = Array.IndexOf(header, "bytes"), feasibleColumn = Array.IndexOf(header, "feasible");
        var feasible = rows.Where(r => r[feasibleColumn] == "true").Select(r => long.Parse(r[bytesColumn], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        if (feasible.Length > 0)
            Assert.AreEqual(feasible.Min(), new FileInfo(Path.Combine(output, "best.onnx")).Length, string.Join("\n", csv));

        // best.onnx is a model ONNX Runtime runs, and the report gives its size.
        using JsonDocument report = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "report.json")));
        JsonElement best = report.RootElement.GetProperty("best");
        Assert.AreEqual(3, report.RootElement.GetProperty("trialsRun").GetInt32());
        LabeledImages mnist = MnistIdx.Read(TestData.MnistDirectory, MnistSplit.Test, 100);
        using var session = OnnxRunner.Open(File.ReadAllBytes(Path.Combine(output, "best.onnx")), threads: 1);
        int[] predicted = OnnxRunner.Predict(session, mnist.Features, mnist.Count, OnnxRunner.FixedBatch(session) ?? 50);
        Assert.HasCount(100, predicted);
        Assert.IsTrue(predicted.All(p => p is >= 0 and < 10));
        Assert.AreEqual(new FileInfo(Path.Combine(output, "best.onnx")).Length, (long)best.GetProperty("metrics").GetProperty("bytes").GetDouble());

        // The same folder with another constraint is another sweep: its checkpoint is refused, naming the option.
        var other = CliProcess.Run(SweepArguments(output, 3, "--max-accuracy-drop", "50"));
        Assert.AreEqual(2, other.ExitCode, other.ToString());
        StringAssert.Contains(CliProcess.Errors(other).Single(), "--checkpoint");
    }

    [TestMethod]
    public void AKilledSweepResumesFromItsCheckpoint_WithoutTrainingAFinishedTrialAgain()
    {
        const int trials = 4;
        string output = Path.Combine(_work, "killed");
        string checkpoint = Path.Combine(_work, "killed-checkpoint");
        string[] arguments = SweepArguments(output, trials, "--checkpoint", checkpoint);
        var clock = Stopwatch.StartNew();

        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(CliProcess.ToolDll);
        foreach (string a in arguments) start.ArgumentList.Add(a);
        using (var process = Process.Start(start)!)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            string jsonl = Path.Combine(checkpoint, "trials.jsonl");
            bool OneTrialDone()
            {
                try { return File.Exists(jsonl) && File.ReadAllText(jsonl).Contains('\n'); }
                catch (IOException) { return false; }
            }
            var watch = Stopwatch.StartNew();
            while (!OneTrialDone() && !process.HasExited && watch.Elapsed < TimeSpan.FromMinutes(2)) Thread.Sleep(5);
            if (process.HasExited && process.ExitCode == 0) Assert.Inconclusive("the sweep finished all its trials before it could be killed");
            Assert.IsFalse(process.HasExited, $"the process ended before it could be killed: exit code {process.ExitCode}\n{stderr.Result}");
            Assert.IsTrue(OneTrialDone(), "no finished trial within 2 minutes");
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            _ = stdout.Result;
        }
        int[] kept = CheckpointedTrials(checkpoint);
        Assert.IsTrue(kept.Length is >= 1 and < trials, $"killed with {kept.Length} of {trials} trials checkpointed");
        Assert.IsFalse(File.Exists(Path.Combine(output, "report.json")), "the killed run wrote no results");

        // The same command again: it says it resumed, trains only the trials the checkpoint lacks, and ends with all of them.
        var resumed = CliProcess.Run(arguments);
        TestContext.WriteLine($"killed after {kept.Length} trial(s); kill and resume took {clock.Elapsed.TotalSeconds:F1} s");
        Assert.AreEqual(0, resumed.ExitCode, resumed.ToString());
        StringAssert.Contains(resumed.Stderr, $"Resuming from {kept.Length} finished trial(s)");
        int[] trained = TrainedTrials(resumed.Stderr);
        Assert.IsEmpty(trained.Intersect(kept).ToArray(), $"trials {string.Join(", ", trained.Intersect(kept))} were in the checkpoint and ran again:\n{resumed.Stderr}");
        CollectionAssert.AreEqual(Enumerable.Range(1, trials).ToArray(), kept.Concat(trained).OrderBy(i => i).ToArray(), resumed.Stderr);
        Assert.HasCount(trials + 1, File.ReadAllLines(Path.Combine(output, "trials.csv")));
        CollectionAssert.AreEqual(Enumerable.Range(1, trials).ToArray(), CheckpointedTrials(checkpoint));
    }

    [TestMethod]
    public void BadArguments_ExitWithTheUsualCodes_AndOneLine()
    {
        string output = Path.Combine(_work, "bad");
        void Fails(int code, string text, string[] args)
        {
            var run = CliProcess.Run(args);
            Assert.AreEqual(code, run.ExitCode, run.ToString());
            StringAssert.Contains(CliProcess.Errors(run).Single(), text, run.ToString());
            Assert.IsFalse(Directory.Exists(output), "a failed command wrote its output folder");
        }
        Fails(2, "--trials expects an integer >= 1, got '0'", SweepArguments(output, 0));
        Fails(2, "--validation is required", SweepArguments(output, 3).Where((_, i) => i is not (6 or 7)).ToArray());
        Fails(2, "--epochs", SweepArguments(output, 3, "--epochs", "3,1").Where((_, i) => i is not (14 or 15)).ToArray());
        Fails(2, "--tuner expects one of multi, cfo, random", SweepArguments(output, 3, "--tuner", "bayes"));
        Fails(2, "expects a folder", SweepArguments(output + ".onnx", 3));
        Fails(2, "--max-accuracy-drop", SweepArguments(output, 3, "--max-accuracy-drop", "-1"));

        string notes = Path.Combine(_work, "notes.onnx");
        File.WriteAllText(notes, "these are notes, not a model\n");
        string[] args = SweepArguments(output, 3);
        args[1] = notes;
        Fails(3, "is not an ONNX model", args);

        var help = CliProcess.Run("sweep", "--help");
        Assert.AreEqual(0, help.ExitCode, help.ToString());
        foreach (string option in new[] { "--validation", "--trials", "--max-accuracy-drop", "--max-bytes-ratio", "--tuner", "--sensitivity", "--checkpoint" })
            StringAssert.Contains(help.Stdout, option);
        StringAssert.Contains(CliProcess.Run("--help").Stdout, "sweep");
    }
}
