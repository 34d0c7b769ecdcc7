namespace Microsoft.ML.Compression.Onnx.Import.Converters;

/// <summary>
/// Squeeze / Unsqueeze of a run-time tensor (axes as an input from opset 13, an attribute before); the batch axis
/// stays. See <see cref="Reshaping"/> for what the new shape becomes.
/// </summary>
[OnnxOp("Squeeze"), OnnxOp("Unsqueeze")]
internal sealed class SqueezeConverter : IOpConverter
{
    public void Convert(OnnxNode node, ImportContext context)
    {
        ActivationValue value = context.Activation(node, 0);
        long[]? axes = context.Opset >= 13 ? context.OptionalIntegers(node, 1) : node.Ints("axes");
        long[] withBatch = value.Shape.Select(d => (long)d).Prepend(1L).ToArray(); // a stand-in batch of 1 at axis 0
        var named = axes?.Select(a => Axes.Normalize(a, node.OpType == "Squeeze" ? withBatch.Length : withBatch.Length + axes.Length, node)).ToArray();
        if (named?.Contains(0) == true)
            throw node.Unsupported($"{(node.OpType == "Squeeze" ? "squeezing" : "inserting an axis before")} the batch axis is not supported.");
        long[] dims = node.OpType == "Squeeze"
            ? Axes.Squeezed(value.Shape.Select(d => (long)d).ToArray(), named?.Select(a => (long)a - 1).ToArray(), node)
            : Axes.Unsqueezed(withBatch, named?.Select(a => (long)a).ToArray() ?? throw node.Invalid("the axes are required."), node).Skip(1).ToArray();
        Reshaping.Apply(node, context, value, dims.Select(d => (int)d).ToArray(), lazy: true);
    }
}
