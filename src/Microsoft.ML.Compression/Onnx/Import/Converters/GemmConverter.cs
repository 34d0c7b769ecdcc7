using Microsoft.ML.Compression.Graph;

namespace Microsoft.ML.Compression.Onnx.Import.Converters;

/// <summary>
/// Gemm(A, B, C) = alpha * A * op(B) + beta * C with a run-time A [N, F] and constant B and C -> <see cref="LinearLayer"/>:
/// transB 0 or 1, any alpha and beta (folded into the weight and bias), C per output or a single value.
/// </summary>
[OnnxOp("Gemm")]
internal sealed class GemmConverter : IOpConverter
{
    public void Convert(OnnxNode node, ImportContext context)
    {
        string input = context.LayerInput(node, 0);
        int[] shape = context.ShapeOf(input);
        if (shape.Length != 1) throw node.Invalid($"its input has shape {Layer.Format(shape)}; Gemm reads [N, F] matrices.");
        if (node.Int("transA", 0) != 0) throw node.Unsupported("transA 1 (a transposed batch) is not supported.");
        ConstantTensor b = context.Constant(node, 1);
        float[]? bias = null;
        if (context.OptionalConstant(node, 2) is { } c)
        {
            if (!c.IsFloat || c.Rank > 2 || (c.Rank == 2 && c.Shape[0] != 1))
                throw node.Unsupported($"the bias is {c}; only a FLOAT bias per output ([K] or [1,K]) or a single value is supported.");
            float beta = node.Float("beta", 1f);
            bias = c.Floats.Select(v => beta * v).ToArray();
        }
        bool transposed = node.Int("transB", 0) != 0;
        float alpha = node.Float("alpha", 1f);
        context.AddLayer(node, name => LinearWeights.Create(node, name, input, shape[0], b, transposed, alpha, bias));
    }
}
