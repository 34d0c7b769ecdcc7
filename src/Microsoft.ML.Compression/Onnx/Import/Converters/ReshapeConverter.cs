using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Onnx.Import.Evaluators;

namespace Microsoft.ML.Compression.Onnx.Import.Converters;

/// <summary>
/// Reshape of a run-time tensor that keeps the batch: the flat graph input to [N,C,H,W] (the image; it may fix the
/// image shape), a [C,H,W] map to [N, C*H*W] (a <see cref="FlattenLayer"/>), or a shape the tensor already has.
/// </summary>
[OnnxOp("Reshape")]
internal sealed class ReshapeConverter : IOpConverter
{
    public void Convert(OnnxNode node, ImportContext context)
    {
        ActivationValue value = context.Activation(node, 0);
        ConstantTensor target = context.Constant(node, 1);
        if (target.IsFloat || target.Rank != 1) throw node.Invalid($"the shape is {target}, not a 1-D integer tensor.");
        int[] shape = OutputShape(node, value.Shape, target.Integers);

        if (value.Tensor == NetworkGraph.InputName && value.Shape.Length == 1 && shape.Length == 3)
            context.SetInputShape(shape, node.Description);
        int[] real = context.ShapeOf(value.Tensor);
        if (shape.SequenceEqual(real))
            context.SetOutput(node, 0, new ActivationValue(value.Tensor, shape));
        else if (shape.SequenceEqual(value.Shape))
            context.SetOutput(node, 0, value);
        else if (shape.Length == 1 && real.Length == 3)
        {
            string input = context.LayerInput(node, 0);
            context.AddLayer(node, name => new FlattenLayer(name, input));
        }
        else
            throw node.Unsupported($"reshaping {Layer.Format(value.Shape)} to {Layer.Format(shape)} (batch excluded) is not supported; only the image reshape and flattening are.");
    }

    /// <summary>The target shape without the batch, which the target must keep (as 0 or as the one -1).</summary>
    private static int[] OutputShape(OnnxNode node, int[] input, long[] target)
    {
        if (target.Length == 0 || target[0] is not (0 or -1))
            throw node.Unsupported($"shape [{string.Join(",", target)}] does not keep the batch dimension (0 or -1 first).");
        // Resolve with a stand-in batch of 1: the batch stays in front exactly when the rest holds all the features.
        long[] inputWithBatch = input.Select(d => (long)d).Prepend(1L).ToArray();
        long[] resolved = ReshapeEvaluator.ResolveShape(node, inputWithBatch, target);
        if (resolved[0] != 1)
            throw node.Unsupported($"shape [{string.Join(",", target)}] moves values across the batch dimension.");
        return resolved.Skip(1).Select(d => (int)d).ToArray();
    }
}
