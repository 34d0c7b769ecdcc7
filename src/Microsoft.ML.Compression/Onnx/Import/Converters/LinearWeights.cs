using Microsoft.ML.Compression.Graph;

namespace Microsoft.ML.Compression.Onnx.Import.Converters;

/// <summary>Builds a <see cref="LinearLayer"/> ([out, in] weight, PyTorch's layout) from the matrices Gemm and MatMul store.</summary>
internal static class LinearWeights
{
    /// <summary>
    /// The layer computing x * alpha * op(B) (+ bias): <paramref name="b"/> is [in, out], or [out, in] when
    /// <paramref name="transposed"/>; <paramref name="bias"/> holds out values or one to broadcast, already scaled.
    /// </summary>
    public static LinearLayer Create(OnnxNode node, string name, string input, int inFeatures, ConstantTensor b, bool transposed, float alpha, float[]? bias)
    {
        if (!b.IsFloat) throw node.Unsupported($"the weight is {b}; only FLOAT weights are supported.");
        if (b.Rank != 2) throw node.Invalid($"the weight is {b}, not a matrix.");
        int rows = (int)b.Shape[0], cols = (int)b.Shape[1];
        int outFeatures = transposed ? rows : cols, weightIn = transposed ? cols : rows;
        if (weightIn != inFeatures) throw node.Invalid($"the weight {b} does not match the {inFeatures} input features.");
        var weight = new float[outFeatures * inFeatures];
        for (int o = 0; o < outFeatures; o++)
            for (int i = 0; i < inFeatures; i++)
                weight[o * inFeatures + i] = alpha * (transposed ? b.Floats[o * cols + i] : b.Floats[i * cols + o]);
        var layer = new LinearLayer(name, input, inFeatures, outFeatures, bias is not null);
        layer.SetParameter("weight", new ParameterTensor(new[] { outFeatures, inFeatures }, weight));
        if (bias is not null)
        {
            if (bias.Length != 1 && bias.Length != outFeatures)
                throw node.Unsupported($"the bias has {bias.Length} values; only one per output ({outFeatures}) or a single one is supported.");
            layer.SetParameter("bias", new ParameterTensor(new[] { outFeatures }, bias.Length == 1 ? Enumerable.Repeat(bias[0], outFeatures).ToArray() : bias));
        }
        return layer;
    }
}
