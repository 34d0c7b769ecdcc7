using Microsoft.ML.Compression.Graph;

namespace Microsoft.ML.Compression.Onnx.Import.Converters;

/// <summary>Concat along axis 1 (channels, or features of vectors) -> <see cref="ConcatLayer"/>.</summary>
[OnnxOp("Concat")]
internal sealed class ConcatConverter : IOpConverter
{
    public void Convert(OnnxNode node, ImportContext context)
    {
        if (!node.Has("axis")) throw node.Invalid("attribute 'axis' is required.");
        string[] inputs = Enumerable.Range(0, node.Inputs.Count).Select(i => context.LayerInput(node, i)).ToArray();
        int rank = context.ShapeOf(inputs[0]).Length + 1;
        long axis = node.Int("axis", 1);
        if ((axis < 0 ? axis + rank : axis) != 1)
            throw node.Unsupported($"axis {axis} is not supported; only axis 1 (channels) is.");
        if (inputs.Length == 1)
        {
            context.SetOutput(node, 0, context.Activation(node, 0));
            return;
        }
        context.AddLayer(node, name => new ConcatLayer(name, inputs));
    }
}
