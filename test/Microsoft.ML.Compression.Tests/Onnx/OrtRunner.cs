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
        int[] declared = session.InputMetadata[inputName].Dimensions;
        int batch = declared[0] > 0 ? declared[0] : rows, size = inputs.Length / rows;
        var parts = new List<(float[] Logits, float[] Score, long[] Labels)>();
        for (int start = 0; start < rows; start += batch)
        {
            int[] dims = declared.Select((d, i) => i == 0 ? batch : d).ToArray();
            var tensor = new DenseTensor<float>(inputs.AsMemory(start * size, batch * size), dims);
            using var results = session.Run(new[] { NamedOnnxValue.CreateFromTensor(inputName, tensor) });
            parts.Add((results.Single(r => r.Name == "Logits").AsTensor<float>().ToArray(),
                results.Single(r => r.Name == "Score").AsTensor<float>().ToArray(),
                results.Single(r => r.Name == "PredictedLabel").AsTensor<long>().ToArray()));
        }
        float[] logits = parts.SelectMany(p => p.Logits).ToArray(), score = parts.SelectMany(p => p.Score).ToArray();
        long[] labels = parts.SelectMany(p => p.Labels).ToArray();
        int k = logits.Length / rows;
        return new Result(logits, new[] { rows, k }, score, new[] { rows, k }, labels, new[] { rows });
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
