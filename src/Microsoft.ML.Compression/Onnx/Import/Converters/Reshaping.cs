using Microsoft.ML.Compression.Graph;

namespace Microsoft.ML.Compression.Onnx.Import.Converters;

/// <summary>
/// What Reshape, Flatten, Squeeze and Unsqueeze of a run-time tensor become, given the target shape without the batch:
/// an alias when the IR tensor already has that shape, a new shape of the network input before any layer reads it,
/// otherwise a view of the tensor that the first reader needing it turns into one Flatten or Reshape layer.
/// </summary>
internal static class Reshaping
{
    /// <param name="node">The Reshape, Flatten, Squeeze or Unsqueeze node.</param>
    /// <param name="context">The import.</param>
    /// <param name="value">What the node reshapes.</param>
    /// <param name="shape">The result's shape without the batch.</param>
    /// <param name="lazy">
    /// True for Squeeze/Unsqueeze, whose chains (e.g. [C,1,1] to [C,1] to [C]) should become one layer at most: the
    /// output is a view until a reader needs it. False for Reshape/Flatten, which become their layer at once, in
    /// file order and named after the node, so a model written by this library reads back layer for layer.
    /// </param>
    public static void Apply(OnnxNode node, ImportContext context, ActivationValue value, int[] shape, bool lazy = false)
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
        var view = new ActivationValue(value.Tensor, shape);
        context.SetOutput(node, 0, lazy ? view : new ActivationValue(context.Materialize(view, ImportContext.LayerStem(node)), shape));
    }
}
