using Microsoft.ML.Compression.Graph;

namespace Microsoft.ML.Compression.Onnx.Import.Converters;

/// <summary>Gemm(A, B, C) with transB = 1 and constant B [out, in] and C -> <see cref="LinearLayer"/>.</summary>
[OnnxOp("Gemm")]
internal sealed class GemmConverter : IOpConverter
{
    public void Convert(OnnxNode node, ImportContext context)
    {
        string input = context.LayerInput(node, 0);
        int[] shape = context.ShapeOf(input);
        if (shape.Length != 1) throw node.Invalid($"its input has shape {Layer.Format(shape)}; Gemm reads [N, F] matrices.");
        if (node.Int("transA", 0) != 0) throw node.Unsupported("transA 1 is not supported.");
        if (node.Int("transB", 0) != 1) throw node.Unsupported("transB 0 is not supported; the importer reads weights stored [out, in] (transB 1).");
        if (node.Float("alpha", 1f) != 1f) throw node.Unsupported("alpha other than 1 is not supported.");
        bool hasBias = node.HasInput(2);
        if (hasBias && node.Float("beta", 1f) != 1f) throw node.Unsupported("beta other than 1 is not supported.");
        ConstantTensor w = context.Constant(node, 1);
        if (w.Rank != 2) throw node.Invalid($"the weight is {w}, not a matrix.");
        int outFeatures = (int)w.Shape[0], inFeatures = (int)w.Shape[1];
        if (hasBias)
        {
            ConstantTensor c = context.Constant(node, 2);
            if (c.Shape.Length > 2 || c.Count != outFeatures)
                throw node.Unsupported($"the bias is {c}; only a per-output bias ([{outFeatures}] or [1,{outFeatures}]) is supported.");
        }
        context.AddLayer(node, name =>
        {
            var fc = new LinearLayer(name, input, inFeatures, outFeatures, hasBias);
            fc.SetParameter("weight", context.Parameter(node, 1, fc.ParameterShape("weight"), "weight"));
            if (hasBias) fc.SetParameter("bias", context.Parameter(node, 2, fc.ParameterShape("bias"), "bias"));
            return fc;
        });
    }
}
