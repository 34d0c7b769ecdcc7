using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;

namespace Benchmarks;

/// <summary>
/// ONNX Runtime latency of several models measured in one process: the same input batch, the same thread count,
/// repetitions interleaved across models (so drift on a shared machine hits all alike), median per model.
/// </summary>
internal static class OrtLatency
{
    public const int BatchSize = 64;

    public static float[] FirstRows(IDataView data, string column, int rows)
    {
        var values = new List<float>();
        using var cursor = data.GetRowCursor(new[] { data.Schema[column] });
        var getter = cursor.GetGetter<VBuffer<float>>(data.Schema[column]);
        VBuffer<float> buffer = default;
        for (int i = 0; i < rows && cursor.MoveNext(); i++)
        {
            getter(ref buffer);
            values.AddRange(buffer.DenseValues());
        }
        return values.ToArray();
    }

    public static Dictionary<string, double> MedianMilliseconds((string Name, byte[] Onnx)[] models, string inputName, float[] batch,
        int threads, int rounds = 15, int runsPerRound = 10)
    {
        var sessions = models.Select(m =>
        {
            var options = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL };
            return (m.Name, Session: new InferenceSession(m.Onnx, options));
        }).ToArray();
        int features = batch.Length / BatchSize;
        var timings = sessions.ToDictionary(s => s.Name, _ => new List<double>());
        try
        {
            for (int round = -2; round < rounds; round++) // two warm-up rounds
                foreach (var (name, session) in sessions)
                {
                    using var input = OrtValue.CreateTensorValueFromMemory(batch, new long[] { BatchSize, features });
                    using var runOptions = new RunOptions();
                    var watch = Stopwatch.StartNew();
                    for (int i = 0; i < runsPerRound; i++)
                    {
                        using var outputs = session.Run(runOptions, new[] { inputName }, new[] { input }, new[] { "Score" });
                    }
                    if (round >= 0) timings[name].Add(watch.Elapsed.TotalMilliseconds / runsPerRound);
                }
        }
        finally
        {
            foreach (var s in sessions) s.Session.Dispose();
        }
        return timings.ToDictionary(t => t.Key, t => { t.Value.Sort(); return t.Value[t.Value.Count / 2]; });
    }
}
