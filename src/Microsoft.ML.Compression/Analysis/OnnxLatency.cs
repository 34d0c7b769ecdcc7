using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;

namespace Microsoft.ML.Compression.Analysis;

/// <summary>
/// ONNX Runtime latency of several models measured in one process: the same input batch, the same thread count,
/// repetitions interleaved across models (so drift on a shared machine hits all alike), median per model.
/// </summary>
public static class OnnxLatency
{
    /// <summary>Rows per timed run unless told otherwise.</summary>
    public const int BatchSize = 64;

    /// <summary>The first <paramref name="rows"/> rows of <paramref name="column"/> (a float vector), flattened.</summary>
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

    /// <summary>
    /// Median milliseconds per run of <paramref name="rowsPerRun"/> rows of <paramref name="batch"/> for each model. Each
    /// model gets the rows in the shape of its own input (its name, its dims, a symbolic batch set to the rows), and
    /// computes its "Score" output (or its first output when it has none).
    /// </summary>
    public static Dictionary<string, double> MedianMilliseconds((string Name, byte[] Onnx)[] models, float[] batch,
        int threads, int rowsPerRun = BatchSize, int rounds = 15, int runsPerRound = 10)
    {
        var sessions = new List<(string Name, InferenceSession Session)>();
        try
        {
            foreach (var (name, onnx) in models) sessions.Add((name, OnnxRunner.Open(onnx, threads)));
            return MedianMilliseconds(sessions, batch, rowsPerRun, rounds, runsPerRound);
        }
        finally
        {
            foreach (var s in sessions) s.Session.Dispose();
        }
    }

    /// <summary>As above, on sessions the caller opened (and disposes), so a reference timed against several candidates loads once.</summary>
    internal static Dictionary<string, double> MedianMilliseconds(IReadOnlyList<(string Name, InferenceSession Session)> sessions, float[] batch,
        int rowsPerRun, int rounds, int runsPerRound)
    {
        var timings = sessions.ToDictionary(s => s.Name, _ => new List<double>());
        for (int round = -2; round < rounds; round++) // two warm-up rounds
            foreach (var (name, session) in sessions)
            {
                var (inputName, shape) = OnnxRunner.Input(session, rowsPerRun);
                string output = session.OutputMetadata.ContainsKey("Score") ? "Score" : session.OutputNames[0];
                using var input = OrtValue.CreateTensorValueFromMemory(batch.AsMemory(0, (int)shape.Aggregate(1L, (a, d) => a * d)).ToArray(), shape);
                using var runOptions = new RunOptions();
                var watch = Stopwatch.StartNew();
                for (int i = 0; i < runsPerRound; i++)
                {
                    using var outputs = session.Run(runOptions, new[] { inputName }, new[] { input }, new[] { output });
                }
                if (round >= 0) timings[name].Add(watch.Elapsed.TotalMilliseconds / runsPerRound);
            }
        return timings.ToDictionary(t => t.Key, t => { t.Value.Sort(); return t.Value[t.Value.Count / 2]; });
    }
}
