using Microsoft.ML.Compression.Graph;

namespace Microsoft.ML.Compression.Onnx.Import.Converters;

/// <summary>
/// MatMul of a run-time [N, F] tensor by a constant [F, K] matrix -> <see cref="LinearLayer"/> without bias; the Add
/// of a constant that usually follows folds into it as its bias.
/// </summary>
[OnnxOp("MatMul")]
internal sealed class MatMulConverter : IOpConverter
{
    public void Convert(OnnxNode node, ImportContext context)
    {
        if (context.IsConstant(node.Inputs[0]))
            throw node.Unsupported("a constant left operand is not supported; only input * constant weight is.");
        string input = context.LayerInput(node, 0);
        int[] shape = context.ShapeOf(input);
        if (shape.Length != 1) throw node.Unsupported($"its input has shape {Layer.Format(shape)} (batch excluded); only [N, F] matrices times a weight are supported.");
        ConstantTensor b = context.Constant(node, 1);
        context.AddLayer(node, name => LinearWeights.Create(node, name, input, shape[0], b, transposed: false, alpha: 1f, bias: null));
    }
}
