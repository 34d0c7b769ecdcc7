using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Compression.Analysis;
using Microsoft.ML.Compression.Estimators;

namespace SampleData;

/// <summary>
/// The samples' comparison of one model and its compressed versions: accuracy on held-back data, parameters, ONNX
/// bytes and ONNX Runtime latency measured in one process (interleaved repetitions, so machine noise hits all alike),
/// printed as one table and written as JSON.
/// </summary>
public sealed class ModelComparison
{
    private readonly List<(string Name, CompressedModelTransformer Model, double Accuracy)> _rows = new();

    /// <summary>One row of the table.</summary>
    public sealed record Row(string Name, string Method, double Accuracy, long Parameters, long Macs, long OnnxBytes, double LatencyMs, double SpeedUp);

    /// <summary>Adds <paramref name="model"/> with its accuracy on the held-back data; the first model added is the baseline.</summary>
    public void Add(string name, CompressedModelTransformer model, double accuracy) => _rows.Add((name, model, accuracy));

    /// <summary>
    /// Times every model on <paramref name="batch"/> (rows of <paramref name="batchSize"/> samples, single-threaded by
    /// default) and returns the rows with latency and speed-up over the first model.
    /// </summary>
    public IReadOnlyList<Row> Measure(float[] batch, int batchSize, int threads = 1)
    {
        var latency = OnnxLatency.MedianMilliseconds(_rows.Select(r => (r.Name, r.Model.OnnxModel)).ToArray(), batch, threads, batchSize);
        double baseline = latency[_rows[0].Name];
        return _rows.Select(r => new Row(r.Name, r.Model.Report.Method, r.Accuracy, r.Model.Report.Parameters, r.Model.Report.Macs,
            r.Model.Report.OnnxBytes, latency[r.Name], baseline / latency[r.Name])).ToArray();
    }

    /// <summary>Prints <paramref name="rows"/> as a markdown table.</summary>
    public static void Print(IReadOnlyList<Row> rows, int batchSize, int threads)
    {
        Console.WriteLine($"| model | method | accuracy | params | MACs | ONNX bytes | ORT ms/batch of {batchSize} ({threads} thread) | speed-up |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (Row r in rows)
            Console.WriteLine($"| {r.Name} | {r.Method} | {r.Accuracy:P2} | {r.Parameters:N0} | {r.Macs:N0} | {r.OnnxBytes:N0} | {r.LatencyMs:F2} | {r.SpeedUp:F2}x |");
    }

    /// <summary>Writes <paramref name="results"/> (an anonymous object) as indented JSON.</summary>
    public static void WriteJson(string path, object results) =>
        File.WriteAllText(path, JsonSerializer.Serialize(results, new JsonSerializerOptions { WriteIndented = true }));
}
