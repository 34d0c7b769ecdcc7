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
    public static Result Run(byte[] model, float[] inputs, int rows, string inputName = "Features")
    {
        using InferenceSession session = Open(model);
        var tensor = new DenseTensor<float>(inputs, new[] { rows, inputs.Length / rows });
        using var results = session.Run(new[] { NamedOnnxValue.CreateFromTensor(inputName, tensor) });
        Tensor<float> logits = results.Single(r => r.Name == "Logits").AsTensor<float>();
        Tensor<float> score = results.Single(r => r.Name == "Score").AsTensor<float>();
        Tensor<long> labels = results.Single(r => r.Name == "PredictedLabel").AsTensor<long>();
        return new Result(logits.ToArray(), logits.Dimensions.ToArray(), score.ToArray(), score.Dimensions.ToArray(),
            labels.ToArray(), labels.Dimensions.ToArray());
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
