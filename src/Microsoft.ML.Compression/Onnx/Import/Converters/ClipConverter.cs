using Microsoft.ML.Compression.Graph;

namespace Microsoft.ML.Compression.Onnx.Import.Converters;

/// <summary>
/// Clip to [0, 6] -> <see cref="ReLU6Layer"/>, to [0, +inf) -> <see cref="ReLULayer"/>, to other bounds ->
/// <see cref="ClipLayer"/>. Bounds are constant scalar inputs since opset 11 and attributes before.
/// </summary>
[OnnxOp("Clip")]
internal sealed class ClipConverter : IOpConverter
{
    public void Convert(OnnxNode node, ImportContext context)
    {
        string input = context.LayerInput(node, 0);
        float min, max;
        if (context.Opset >= 11)
        {
            min = Bound(node, context, 1, float.NegativeInfinity);
            max = Bound(node, context, 2, float.PositiveInfinity);
        }
        else
        {
            min = node.Float("min", float.MinValue);
            max = node.Float("max", float.MaxValue);
        }
        if (min == 0 && max == 6) context.AddLayer(node, name => new ReLU6Layer(name, input));
        else if (min == 0 && max >= float.MaxValue) context.AddLayer(node, name => new ReLULayer(name, input));
        else context.AddLayer(node, name => new ClipLayer(name, input, min <= float.MinValue ? float.NegativeInfinity : min, max >= float.MaxValue ? float.PositiveInfinity : max));
    }

    private static float Bound(OnnxNode node, ImportContext context, int index, float fallback)
    {
        ConstantTensor? bound = context.OptionalConstant(node, index);
        if (bound is null) return fallback;
        if (!bound.IsFloat || bound.Count != 1) throw node.Unsupported($"bound {index} is {bound}; a FLOAT scalar is expected.");
        return bound.Floats[0];
    }
}
