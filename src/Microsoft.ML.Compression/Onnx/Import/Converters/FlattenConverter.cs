using Microsoft.ML.Compression.Graph;

namespace Microsoft.ML.Compression.Onnx.Import.Converters;

/// <summary>Flatten at axis 1 (keeping the batch) -> <see cref="FlattenLayer"/>; on an already flat tensor, an identity.</summary>
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
        if (value.Shape.Length == 1)
        {
            context.SetOutput(node, 0, value);
            return;
        }
        string input = context.LayerInput(node, 0);
        context.AddLayer(node, name => new FlattenLayer(name, input));
    }
}
