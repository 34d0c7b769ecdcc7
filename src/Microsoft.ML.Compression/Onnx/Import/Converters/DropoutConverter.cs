using Microsoft.ML.Compression.Graph;

namespace Microsoft.ML.Compression.Onnx.Import.Converters;

/// <summary>
/// Dropout -> <see cref="DropoutLayer"/> (identity at inference, so the network computes what the file computes);
/// the ratio is an input since opset 12 and an attribute before. Its mask output is not computed.
/// </summary>
[OnnxOp("Dropout")]
internal sealed class DropoutConverter : IOpConverter
{
    public void Convert(OnnxNode node, ImportContext context)
    {
        string input = context.LayerInput(node, 0);
        float ratio = 0.5f;
        if (context.Opset >= 12)
        {
            if (context.OptionalConstant(node, 1) is { } r)
                ratio = r.IsFloat && r.Count == 1 ? r.Floats[0] : throw node.Unsupported($"the ratio is {r}; a FLOAT scalar is expected.");
            if (context.OptionalConstant(node, 2) is { } training && (training.IsFloat || training.Count != 1 || training.Integers[0] != 0))
                throw node.Unsupported("training_mode true is not supported; export the model for inference.");
        }
        else
            ratio = node.Float("ratio", 0.5f);
        context.AddLayer(node, name => new DropoutLayer(name, input, ratio));
    }
}
