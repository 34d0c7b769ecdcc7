using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using Microsoft.ML.Compression.Analysis;

namespace Benchmarks;

/// <summary>
/// latency: times every .onnx file an experiment saved (<c>--dir artifacts/NAME</c>) again, interleaved in one process
/// with the same rows (the first <c>--batch</c> (64) test rows of <c>--data mnist|fashion</c>) and <c>--threads</c> (1),
/// and writes each model's median and its speed-up over <c>fp32.onnx</c> to <c>latency.json</c> in that folder. For
/// experiments that trained while other work shared the machine: their own latencies are then less reliable.
/// </summary>
internal static class LatencyExperiment
{
    public static void Run(ExperimentContext x)
    {
        string dir = Path.GetFullPath(x.Text("dir", ""));
        if (!Directory.Exists(dir)) throw new ArgumentException($"latency needs --dir FOLDER with the .onnx files to time; '{dir}' does not exist.");
        if (x.Text("data", "fashion") == "mnist") x.UseMnist(); else x.UseFashionMnist();
        int threads = x.Option("threads", 1), batch = x.Option("batch", OnnxLatency.BatchSize);
        var files = Directory.GetFiles(dir, "*.onnx").OrderBy(f => f, StringComparer.Ordinal).ToArray();
        if (!files.Any(f => Path.GetFileName(f) == "fp32.onnx")) throw new ArgumentException($"'{dir}' has no fp32.onnx to compare with.");
        var models = files.Select(f => (Path.GetFileNameWithoutExtension(f), File.ReadAllBytes(f))).ToArray();
        float[] rows = OnnxLatency.FirstRows(x.Test, "Features", batch);
        var ms = OnnxLatency.MedianMilliseconds(models, rows, threads, batch);
        var result = new Dictionary<string, object>
        {
            ["folder"] = Path.GetFileName(dir), ["ort_threads"] = threads, ["ort_batch"] = batch,
            ["latency_method"] = "median over interleaved repetitions of one batch, all models in the same process",
            ["ms_per_batch"] = ms.ToDictionary(e => e.Key, e => Math.Round(e.Value, 3)),
            ["speedup_vs_fp32"] = ms.ToDictionary(e => e.Key, e => Math.Round(ms["fp32"] / e.Value, 3)),
        };
        string path = Path.Combine(dir, "latency.json");
        File.WriteAllText(path, JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }));
        foreach (var (name, value) in ms.OrderBy(e => e.Key, StringComparer.Ordinal))
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: {value:F2} ms, {ms["fp32"] / value:F2}x"));
        Console.WriteLine($"Wrote {path}");
    }
}
