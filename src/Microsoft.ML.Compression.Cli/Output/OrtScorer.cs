using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Microsoft.ML.Compression.Cli.Output;

/// <summary>
/// Scores an ONNX classifier with ONNX Runtime directly, as a deployment would: top-1 accuracy on labelled features and
/// the latency of one batch. The batch is the model's fixed batch, else 64 rows.
/// </summary>
public sealed class OrtScorer : IDisposable
{
    private readonly InferenceSession _session;
    private readonly string _input;
    private readonly int[] _dims;

    /// <summary>Opens <paramref name="path"/> with <paramref name="threads"/> intra-op threads (0: ONNX Runtime's default).</summary>
    public OrtScorer(string path, int threads = 0)
    {
        using var options = new SessionOptions { IntraOpNumThreads = threads };
        try
        {
            _session = new InferenceSession(path, options);
        }
        catch (OnnxRuntimeException e)
        {
            throw CliException.InputFile($"ONNX Runtime cannot load '{path}': {e.Message}", e);
        }
        var (name, meta) = _session.InputMetadata.First();
        _input = name;
        _dims = meta.Dimensions.ToArray();
        if (_dims.Skip(1).Any(d => d <= 0))
            throw CliException.InputFile($"Model '{path}' input '{name}' has symbolic dimensions besides the batch: [{string.Join(",", _dims)}].");
        Batch = _dims[0] > 0 ? _dims[0] : 64;
    }

    /// <summary>Rows per run.</summary>
    public int Batch { get; }

    /// <summary>The predicted class of each row (arg max of the first float output of shape [N, classes]).</summary>
    public int[] Predict(IReadOnlyList<float[]> rows)
    {
        var predicted = new int[rows.Count];
        for (int start = 0; start < rows.Count; start += Batch)
        {
            int n = Math.Min(Batch, rows.Count - start);
            float[,] scores = Run(rows, start, n);
            for (int i = 0; i < n; i++)
            {
                int best = 0;
                for (int c = 1; c < scores.GetLength(1); c++) if (scores[i, c] > scores[i, best]) best = c;
                predicted[start + i] = best;
            }
        }
        return predicted;
    }

    /// <summary>Top-1 accuracy on <paramref name="rows"/> with class indexes <paramref name="labels"/>.</summary>
    public double Accuracy(IReadOnlyList<float[]> rows, IReadOnlyList<int> labels)
    {
        int[] p = Predict(rows);
        return p.Where((c, i) => c == labels[i]).Count() / (double)p.Length;
    }

    /// <summary>Median milliseconds of one batch over <paramref name="runs"/> runs (after a warm-up run).</summary>
    public double MedianBatchMilliseconds(IReadOnlyList<float[]> rows, int runs = 20)
    {
        int n = Math.Min(Batch, rows.Count);
        Run(rows, 0, n);
        var times = new double[runs];
        for (int r = 0; r < runs; r++)
        {
            long t = Stopwatch.GetTimestamp();
            Run(rows, 0, n);
            times[r] = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
        }
        Array.Sort(times);
        return times[runs / 2];
    }

    private float[,] Run(IReadOnlyList<float[]> rows, int start, int n)
    {
        int size = rows[0].Length;
        int[] dims = (int[])_dims.Clone();
        int batch = _dims[0] > 0 ? _dims[0] : n;
        dims[0] = batch;
        var data = new float[batch * size];
        // A fixed-batch model gets its last partial batch padded with the last row; the padding's scores are dropped.
        for (int i = 0; i < batch; i++) rows[start + Math.Min(i, n - 1)].CopyTo(data, i * size);
        var tensor = new DenseTensor<float>(data, dims);
        using var results = _session.Run(new[] { NamedOnnxValue.CreateFromTensor(_input, tensor) });
        var output = results.Select(r => r.Value).OfType<Tensor<float>>().FirstOrDefault(t => t.Rank == 2)
            ?? throw CliException.InputFile("The model has no float output of shape [N, classes].");
        var scores = new float[n, output.Dimensions[1]];
        for (int i = 0; i < n; i++)
            for (int c = 0; c < output.Dimensions[1]; c++) scores[i, c] = output[i, c];
        return scores;
    }

    /// <inheritdoc />
    public void Dispose() => _session.Dispose();
}
