namespace Microsoft.ML.Compression.Onnx.Import.Converters;

/// <summary>Flatten at axis 1 (keep the batch, flatten the rest) -> a vector; see <see cref="Reshaping"/>.</summary>
[OnnxOp("Flatten")]
internal sealed class FlattenConverter : IOpConverter
{
    public void Convert(OnnxNode node, ImportContext context)
    {
        ActivationValue value = context.Activation(node, 0);
        int rank = value.Shape.Length + 1;
        long axis = node.Int("axis", 1);
        if ((axis < 0 ? axis + rank : axis) != 1)
            throw node.Unsupported($"axis {axis} is not supported; only axis 1 (keep the batch, flatten the rest) is.");
        Reshaping.Apply(node, context, value, new[] { value.Shape.Aggregate(1, (a, d) => a * d) });
    }
}
