using Microsoft.ML.OnnxRuntime;

namespace Microsoft.ML.Compression.Analysis;

/// <summary>
/// Runs any single-input ONNX classifier with ONNX Runtime directly: the input's name and dims come from the model
/// (a symbolic batch takes the rows of a run; a fixed batch, e.g. 1, fixes the rows per run), whatever its layout,
/// since the rows hold each sample flattened in the model's own layout.
/// </summary>
public static class OnnxRunner
{
    /// <summary>A session with <paramref name="threads"/> intra-op threads, sequential execution, default optimizations.</summary>
    public static InferenceSession Open(byte[] onnx, int threads)
    {
        using var options = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL };
        return new InferenceSession(onnx, options);
    }

    /// <summary>The fixed batch size of the model's input, or null when the batch is symbolic.</summary>
    public static int? FixedBatch(InferenceSession session)
    {
        int first = SingleInput(session).Value.Dimensions[0];
        return first > 0 ? first : null;
    }

    /// <summary>The input's name and the shape of a run of <paramref name="rows"/> samples.</summary>
    public static (string Name, long[] Shape) Input(InferenceSession session, int rows)
    {
        var (name, meta) = SingleInput(session);
        long[] shape = meta.Dimensions.Select(d => (long)d).ToArray();
        if (shape.Skip(1).Any(d => d <= 0))
            throw new NotSupportedException($"Input '{name}' has a symbolic dimension after the batch ({string.Join(",", meta.Dimensions)}); give it fixed sizes.");
        if (shape[0] <= 0) shape[0] = rows;
        else if (shape[0] != rows) throw new InvalidOperationException($"Input '{name}' has a fixed batch of {shape[0]}, not {rows}.");
        return (name, shape);
    }

    /// <summary>Values per sample of the model's input.</summary>
    public static long SampleSize(InferenceSession session) => SingleInput(session).Value.Dimensions.Skip(1).Aggregate(1L, (a, d) => a * d);

    /// <summary>
    /// The predicted class (arg max of <paramref name="output"/>, or of the first float output when null) of each of the
    /// <paramref name="features"/>' rows, run <paramref name="rowsPerRun"/> at a time (the last run padded with zeros).
    /// </summary>
    public static int[] Predict(InferenceSession session, float[] features, int rows, int rowsPerRun, string? output = null)
    {
        output ??= session.OutputMetadata.First(o => o.Value.ElementType == typeof(float)).Key;
        var (inputName, shape) = Input(session, rowsPerRun);
        int size = features.Length / rows;
        var predictions = new int[rows];
        var batch = new float[rowsPerRun * size];
        for (int start = 0; start < rows; start += rowsPerRun)
        {
            int count = Math.Min(rowsPerRun, rows - start);
            Array.Clear(batch);
            Array.Copy(features, (long)start * size, batch, 0, (long)count * size);
            using var input = OrtValue.CreateTensorValueFromMemory(batch, shape);
            using var runOptions = new RunOptions();
            using var results = session.Run(runOptions, new[] { inputName }, new[] { input }, new[] { output });
            ReadOnlySpan<float> values = results[0].GetTensorDataAsSpan<float>();
            int classes = values.Length / rowsPerRun;
            for (int r = 0; r < count; r++)
            {
                ReadOnlySpan<float> row = values.Slice(r * classes, classes);
                int best = 0;
                for (int k = 1; k < classes; k++)
                    if (row[k] > row[best]) best = k;
                predictions[start + r] = best;
            }
        }
        return predictions;
    }

    private static KeyValuePair<string, NodeMetadata> SingleInput(InferenceSession session) =>
        session.InputMetadata.Count == 1 ? session.InputMetadata.First()
            : throw new NotSupportedException($"The model has {session.InputMetadata.Count} inputs; this runner feeds one.");
}
