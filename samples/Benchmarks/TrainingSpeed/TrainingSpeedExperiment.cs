using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Compression;
using Microsoft.ML.Compression.Estimators;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Zoo;
using Microsoft.ML.Data;

namespace Benchmarks.TrainingSpeed;

/// <summary>
/// Epoch times of fp32 training and SimQAT int8 here, beside PyTorch's on the same rows, batch, optimizer and threads
/// when python3 with torch is installed (<c>pytorch_peer.py</c>; skipped otherwise). Each round runs one untimed warm-up
/// epoch from a fresh network, one timed fp32 epoch and one timed QAT epoch from those weights, on both sides, the
/// two sides alternating first; medians over <c>--rounds</c> (3). LeNet-5 on MNIST (<c>--lenet-rows</c>, all 60,000)
/// and ResNet-20 on Fashion-MNIST (<c>--resnet-rows</c>, 10,000); <c>--torch-threads</c> (2).
/// </summary>
internal static class TrainingSpeedExperiment
{
    public static void Run(ExperimentContext x)
    {
        int rounds = x.Option("rounds", 3), threads = x.Option("torch-threads", 2);
        string? python = PythonWithTorch(x.Text("python", "python3"));
        var results = new Dictionary<string, object>
        {
            ["experiment"] = x.Name,
            ["threads"] = threads,
            ["batch"] = 64,
            ["rounds"] = rounds,
            ["protocol"] = "per round: untimed warm-up epoch from a fresh network, timed fp32 epoch, timed QAT epoch from those weights; .NET and PyTorch alternate first; medians",
            ["pytorch"] = python is null ? "skipped: no python3 with torch" : "measured",
        };
        x.UseMnist();
        results["lenet5"] = Measure(x, NetworkZoo.LeNet5(), x.Option("lenet-rows", 60_000), rounds, threads, python, "lenet5");
        x.UseFashionMnist();
        results["resnet20"] = Measure(x, NetworkZoo.ResNet20(), x.Option("resnet-rows", 10_000), rounds, threads, python, "resnet20");

        string path = Path.Combine(x.ArtifactDirectory, "results.json");
        File.WriteAllText(path, JsonSerializer.Serialize(results, new JsonSerializerOptions { WriteIndented = true }));
        Console.WriteLine($"Wrote {path}");
    }

    private static Dictionary<string, object> Measure(ExperimentContext x, NetworkGraph network, int rows, int rounds, int threads, string? python, string name)
    {
        var c = x.Ml.Transforms.Compression;
        IDataView data = x.Ml.Data.Cache(x.Ml.Data.TakeRows(x.Train, rows));
        string? features = null, labels = null;
        if (python is not null) (features, labels) = WriteRows(x.Ml, data);
        var ours = new List<(double Fp32, double Qat)>();
        var theirs = new List<(double Fp32, double Qat)>();
        try
        {
            for (int round = 0; round < rounds; round++)
            {
                bool pytorchFirst = round % 2 == 1;
                if (pytorchFirst && python is not null) theirs.Add(RunPeer(python, name, features!, labels!, threads));
                using (var fp32 = c.Train(network, new NetworkTrainer.Options { Epochs = 2, LearningRate = 0.05, Threads = threads }).Fit(data))
                using (var qat = c.QuantizeAwareTraining(fp32, new QuantizeAwareTrainer.Options { Epochs = 1, LearningRate = 0.01, Threads = threads }).Fit(data))
                    ours.Add((fp32.Report.History[1].Seconds, qat.Report.History[0].Seconds));
                if (!pytorchFirst && python is not null) theirs.Add(RunPeer(python, name, features!, labels!, threads));
                string peer = theirs.Count > round ? string.Create(CultureInfo.InvariantCulture, $"; PyTorch fp32 {theirs[^1].Fp32:F2} s, QAT {theirs[^1].Qat:F2} s") : "";
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name} round {round + 1}: here fp32 {ours[^1].Fp32:F2} s, QAT {ours[^1].Qat:F2} s{peer}"));
            }
        }
        finally
        {
            if (features is not null) File.Delete(features);
            if (labels is not null) File.Delete(labels);
        }

        var result = new Dictionary<string, object> { ["rows"] = rows, ["mlnet_compression"] = Summary(ours) };
        if (theirs.Count > 0)
        {
            result["pytorch"] = Summary(theirs);
            result["fp32_epoch_ratio_ours_over_pytorch"] = Math.Round(ExperimentContext.Median(ours.Select(o => o.Fp32)) / ExperimentContext.Median(theirs.Select(t => t.Fp32)), 3);
        }
        return result;
    }

    private static Dictionary<string, object> Summary(List<(double Fp32, double Qat)> runs) => new()
    {
        ["fp32_epoch_seconds"] = runs.Select(r => Math.Round(r.Fp32, 2)).ToArray(),
        ["qat_epoch_seconds"] = runs.Select(r => Math.Round(r.Qat, 2)).ToArray(),
        ["fp32_median"] = Math.Round(ExperimentContext.Median(runs.Select(r => r.Fp32)), 2),
        ["qat_median"] = Math.Round(ExperimentContext.Median(runs.Select(r => r.Qat)), 2),
        ["qat_over_fp32"] = Math.Round(ExperimentContext.Median(runs.Select(r => r.Qat)) / ExperimentContext.Median(runs.Select(r => r.Fp32)), 3),
    };

    /// <summary>The interpreter to use, or null when it is missing or has no torch (the peer is then skipped).</summary>
    private static string? PythonWithTorch(string python)
    {
        foreach (string candidate in new[] { python, "/usr/bin/python3" }.Distinct())
        {
            try
            {
                using var p = Process.Start(new ProcessStartInfo(candidate, "-c \"import torch\"") { RedirectStandardError = true, RedirectStandardOutput = true })!;
                p.WaitForExit();
                if (p.ExitCode == 0) return candidate;
            }
            catch (System.ComponentModel.Win32Exception)
            {
                // not installed: try the next one
            }
        }
        Console.WriteLine("PyTorch peer skipped: no python3 that imports torch (apt-get install python3-torch python3-torchvision).");
        return null;
    }

    private static (double Fp32, double Qat) RunPeer(string python, string network, string features, string labels, int threads)
    {
        string script = Path.Combine(AppContext.BaseDirectory, "TrainingSpeed", "pytorch_peer.py");
        var info = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in new[] { script, "--network", network, "--features", features, "--labels", labels, "--threads", threads.ToString(CultureInfo.InvariantCulture) })
            info.ArgumentList.Add(arg);
        using var p = Process.Start(info)!;
        string stdout = p.StandardOutput.ReadToEnd(), stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"pytorch_peer.py failed ({p.ExitCode}): {stderr}");
        using var json = JsonDocument.Parse(stdout.Trim().Split('\n')[^1]);
        return (json.RootElement.GetProperty("fp32_epoch_seconds").GetDouble(), json.RootElement.GetProperty("qat_epoch_seconds").GetDouble());
    }

    /// <summary>The rows as raw float32 features and int64 labels in temp files, for the peer script.</summary>
    private static (string Features, string Labels) WriteRows(MLContext ml, IDataView data)
    {
        string features = Path.GetTempFileName(), labels = Path.GetTempFileName();
        using var f = new BinaryWriter(File.Create(features));
        using var l = new BinaryWriter(File.Create(labels));
        foreach (var row in ml.Data.CreateEnumerable<PixelRow>(data, reuseRowObject: true))
        {
            foreach (float v in row.Features) f.Write(v);
            l.Write((long)row.Label - 1); // the raw key is 1-based
        }
        return (features, labels);
    }

    private sealed class PixelRow
    {
        public float[] Features { get; set; } = Array.Empty<float>();
        public uint Label { get; set; }
    }
}
