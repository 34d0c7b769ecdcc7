using System.IO;
using Microsoft.ML.Compression.Analysis;
using Microsoft.ML.Compression.Cli.Data;
using Microsoft.ML.OnnxRuntime;

namespace Microsoft.ML.Compression.Cli.Output;

/// <summary>
/// Scores ONNX files with ONNX Runtime directly, as a deployment would, through the library's
/// <see cref="OnnxRunner"/> and <see cref="OnnxLatency"/> (the benchmarks measure the same way): top-1 accuracy and
/// the median time of one batch (the model's fixed batch, else <see cref="OnnxLatency.BatchSize"/> rows).
/// </summary>
public static class OnnxScoring
{
    /// <summary>Top-1 accuracy of the model in <paramref name="path"/> on the labelled <paramref name="images"/>.</summary>
    public static double Accuracy(string path, ImageSet images, int threads)
    {
        using InferenceSession session = Open(path, threads);
        int batch = OnnxRunner.FixedBatch(session) ?? OnnxLatency.BatchSize;
        int[] predicted = OnnxRunner.Predict(session, Flatten(images.Features, images.Count), images.Count, batch);
        return predicted.Where((c, i) => c == images.Labels![i]).Count() / (double)images.Count;
    }

    /// <summary>Rows per timed run and the median milliseconds of one run of the model in <paramref name="path"/>.</summary>
    public static (int Batch, double Milliseconds) Latency(string path, ImageSet images, int threads)
    {
        int batch;
        using (InferenceSession session = Open(path, threads)) batch = OnnxRunner.FixedBatch(session) ?? OnnxLatency.BatchSize;
        // Fewer images than a batch: the rows repeat.
        var rows = Enumerable.Range(0, batch).Select(i => images.Features[i % images.Count]).ToArray();
        var times = OnnxLatency.MedianMilliseconds(new[] { ("model", File.ReadAllBytes(path)) }, Flatten(rows, batch), threads, batch);
        return (batch, times["model"]);
    }

    private static InferenceSession Open(string path, int threads)
    {
        try
        {
            return OnnxRunner.Open(File.ReadAllBytes(path), threads);
        }
        catch (OnnxRuntimeException e)
        {
            throw CliException.InputFile($"ONNX Runtime cannot load '{path}': {e.Message}", e);
        }
    }

    private static float[] Flatten(IReadOnlyList<float[]> rows, int count)
    {
        int size = rows[0].Length;
        var flat = new float[count * size];
        for (int i = 0; i < count; i++) rows[i].CopyTo(flat, i * size);
        return flat;
    }
}
