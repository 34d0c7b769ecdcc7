using Microsoft.ML.Compression.Graph;

namespace Microsoft.ML.Compression.Onnx.Import.Converters;

/// <summary>
/// What Reshape, Flatten, Squeeze and Unsqueeze of a run-time tensor become, given the target shape without the batch:
/// an alias when the IR tensor already has that shape, a new shape of the network input before any layer reads it,
/// a <see cref="FlattenLayer"/> for a vector, otherwise a <see cref="ReshapeLayer"/>.
/// </summary>
internal static class Reshaping
{
    public static void Apply(OnnxNode node, ImportContext context, ActivationValue value, int[] shape)
    {
        if (shape.Length is 0 or > 3 || shape.Any(d => d <= 0))
            throw node.Unsupported($"the result {Layer.Format(shape)} (batch excluded) is not 1 to 3 positive sizes.");
        if (value.Tensor == NetworkGraph.InputName && !context.IsShapeKnown(value.Tensor) && value.Shape.Length == 1)
            context.SetInputShape(shape, node.Description);
        if (context.IsShapeKnown(value.Tensor) && shape.SequenceEqual(context.ShapeOf(value.Tensor)))
        {
            context.SetOutput(node, 0, new ActivationValue(value.Tensor, shape));
            return;
        }
        if (value.Tensor == NetworkGraph.InputName && context.TryReshapeInput(shape, node.Description))
        {
            context.SetOutput(node, 0, new ActivationValue(value.Tensor, shape));
            return;
        }
        string input = context.LayerInput(node, 0);
        if (shape.Length == 1)
            context.AddLayer(node, name => new FlattenLayer(name, input));
        else
            context.AddLayer(node, name => new ReshapeLayer(name, input, shape));
    }
}
