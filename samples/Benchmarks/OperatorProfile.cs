using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using Microsoft.ML.Compression.Analysis;
using Microsoft.ML.OnnxRuntime;

namespace Benchmarks;

/// <summary>
/// Where a model's time goes in ONNX Runtime: milliseconds per run for each operator type of the optimized graph
/// (e.g. fused Conv, QLinearConv, QLinearAdd), from ONNX Runtime's own profiler. Comparing a float model's Conv time
/// with its int8 model's QLinearConv time separates what the integer kernels gain from what the quantize steps cost.
/// </summary>
internal static class OperatorProfile
{
    /// <summary>Mean milliseconds per run and node count of each operator type, over <paramref name="runs"/> profiled runs after two warm-ups.</summary>
    public static Dictionary<string, (double Ms, int Nodes)> Measure(byte[] onnx, float[] rows, int batch, int threads, int runs = 20)
    {
        string prefix = Path.Combine(Path.GetTempPath(), $"ort-profile-{Guid.NewGuid():N}");
        string? file = null;
        try
        {
            using var options = new SessionOptions
            {
                IntraOpNumThreads = threads, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
                EnableProfiling = true, ProfileOutputPathPrefix = prefix,
            };
            using var session = new InferenceSession(onnx, options);
            var (name, shape) = OnnxRunner.Input(session, batch);
            using var input = OrtValue.CreateTensorValueFromMemory(rows[..(int)shape.Aggregate(1L, (a, d) => a * d)], shape);
            using var runOptions = new RunOptions();
            for (int i = 0; i < runs + 2; i++)
            {
                using var outputs = session.Run(runOptions, new[] { name }, new[] { input }, session.OutputNames.ToArray());
            }
            file = session.EndProfiling();
            return Summarize(File.ReadAllText(file), runs, warmUps: 2);
        }
        finally
        {
            if (file is not null) File.Delete(file);
        }
    }

    /// <summary>Milliseconds of the operators that multiply-accumulate (convolutions, Gemm, MatMul, float or integer), and of all the rest.</summary>
    public static (double Kernels, double Others) Split(Dictionary<string, (double Ms, int Nodes)> profile)
    {
        static bool Multiplies(string op) => op.Contains("Conv", StringComparison.Ordinal) || op.Contains("Gemm", StringComparison.Ordinal) || op.Contains("MatMul", StringComparison.Ordinal);
        return (profile.Where(p => Multiplies(p.Key)).Sum(p => p.Value.Ms), profile.Where(p => !Multiplies(p.Key)).Sum(p => p.Value.Ms));
    }

    // The profile lists one "<node>_kernel_time" event per node and run, in run order.
    private static Dictionary<string, (double Ms, int Nodes)> Summarize(string json, int runs, int warmUps)
    {
        using var doc = JsonDocument.Parse(json);
        var events = doc.RootElement.EnumerateArray()
            .Where(e => e.GetProperty("cat").GetString() == "Node" && e.GetProperty("name").GetString()!.EndsWith("_kernel_time", StringComparison.Ordinal))
            .Select(e => (Node: e.GetProperty("name").GetString()!, Op: e.GetProperty("args").GetProperty("op_name").GetString()!, Us: e.GetProperty("dur").GetDouble()))
            .ToList();
        int nodes = events.Select(e => e.Node).Distinct().Count();
        var timed = events.Skip(warmUps * nodes).ToList();
        return timed.GroupBy(e => e.Op).ToDictionary(
            g => g.Key,
            g => (Math.Round(g.Sum(e => e.Us) / runs / 1000, 3), g.Select(e => e.Node).Distinct().Count()));
    }
}
