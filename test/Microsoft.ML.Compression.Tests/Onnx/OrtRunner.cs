using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Microsoft.ML.Compression.Tests.Onnx;

/// <summary>Scores exported models with ONNX Runtime at the basic optimization level (exact enough for parity checks).</summary>
internal static class OrtRunner
{
    /// <summary>The three outputs of one batch, flattened row-major, with their dimensions.</summary>
    public sealed record Result(float[] Logits, int[] LogitsDims, float[] Score, int[] ScoreDims, long[] Labels, int[] LabelDims);

    /// <summary>Opens a session on <paramref name="model"/>.</summary>
    public static InferenceSession Open(byte[] model)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_BASIC };
        return new InferenceSession(model, options);
    }

    /// <summary>Runs <paramref name="rows"/> samples of <paramref name="inputs"/> through the model.</summary>
    /// <remarks>
    /// The rows are shaped as the model declares its input ([N, F] for networks built here; an imported network keeps
    /// the original's, e.g. [N,1,28,28] or a fixed batch of 1, which then runs row by row).
    /// </remarks>
    public static Result Run(byte[] model, float[] inputs, int rows, string inputName = "Features")
    {
        using InferenceSession session = Open(model);
        var logits = new List<float>();
        var score = new List<float>();
        var labels = new List<long>();
        RunRows(session, inputName, inputs, rows, results =>
        {
            logits.AddRange(results.Single(r => r.Name == "Logits").AsTensor<float>());
            score.AddRange(results.Single(r => r.Name == "Score").AsTensor<float>());
            labels.AddRange(results.Single(r => r.Name == "PredictedLabel").AsTensor<long>());
        });
        int k = logits.Count / rows;
        return new Result(logits.ToArray(), new[] { rows, k }, score.ToArray(), new[] { rows, k }, labels.ToArray(), new[] { rows });
    }

    /// <summary>
    /// Feeds <paramref name="rows"/> flattened samples to <paramref name="inputName"/> shaped as the model declares it
    /// (a symbolic batch takes them all at once, a fixed batch runs batch by batch) and hands each run's outputs on.
    /// </summary>
    public static void RunRows(InferenceSession session, string inputName, float[] inputs, int rows,
        Action<IDisposableReadOnlyCollection<DisposableNamedOnnxValue>> onBatch)
    {
        int[] declared = session.InputMetadata[inputName].Dimensions;
        int batch = declared[0] > 0 ? declared[0] : rows, size = inputs.Length / rows;
        for (int start = 0; start < rows; start += batch)
        {
            int[] dims = declared.Select((d, i) => i == 0 ? batch : d).ToArray();
            var tensor = new DenseTensor<float>(inputs.AsMemory(start * size, batch * size), dims);
            using var results = session.Run(new[] { NamedOnnxValue.CreateFromTensor(inputName, tensor) });
            onBatch(results);
        }
    }

    /// <summary>Runs a model with one float input and returns its first output, flattened.</summary>
    public static float[] RunSingle(byte[] model, string inputName, float[] inputs, int[] dims)
    {
        using InferenceSession session = Open(model);
        var tensor = new DenseTensor<float>(inputs, dims);
        using var results = session.Run(new[] { NamedOnnxValue.CreateFromTensor(inputName, tensor) });
        return results.First().AsTensor<float>().ToArray();
    }

    /// <summary>Index of the largest value of row <paramref name="row"/>.</summary>
    public static int ArgMax(IReadOnlyList<float> values, int row, int width)
    {
        int best = 0;
        for (int j = 1; j < width; j++)
            if (values[row * width + j] > values[row * width + best]) best = j;
        return best;
    }
}
