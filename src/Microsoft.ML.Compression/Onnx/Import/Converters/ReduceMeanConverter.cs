using Microsoft.ML.Compression.Graph;

namespace Microsoft.ML.Compression.Onnx.Import.Converters;

/// <summary>
/// ReduceMean over the spatial axes -> <see cref="GlobalAvgPoolLayer"/>: axes 2 and 3 of an NCHW map, or axes 1 and 2
/// of an NHWC map (as Keras exports write a global average pool; transposed to channels first around the pool).
/// keepdims 0 adds a flatten. Axes are an attribute before opset 18 and an input from 18.
/// </summary>
[OnnxOp("ReduceMean")]
internal sealed class ReduceMeanConverter : IOpConverter
{
    public void Convert(OnnxNode node, ImportContext context)
    {
        string input = context.LayerInput(node, 0);
        int[] shape = context.ShapeOf(input);
        long[]? axes = context.Opset >= 18 ? context.OptionalIntegers(node, 1) : node.Ints("axes");
        var reduced = axes?.Select(a => Axes.Normalize(a, shape.Length + 1, node)).OrderBy(a => a).ToArray();
        bool channelsFirst = reduced is not null && reduced.SequenceEqual(new[] { 2, 3 });
        bool channelsLast = reduced is not null && reduced.SequenceEqual(new[] { 1, 2 });
        if (shape.Length != 3 || !(channelsFirst || channelsLast))
            throw node.Unsupported($"reducing axes [{string.Join(",", axes ?? Array.Empty<long>())}] of {Layer.Format(shape)} (batch excluded) is not supported; only the mean over H and W of an NCHW (axes 2, 3) or NHWC (axes 1, 2) map is.");
        bool keepDims = node.Int("keepdims", 1) != 0;
        if (channelsLast)
            input = context.AddLayer(node, name => new TransposeLayer(name, input, new[] { 2, 0, 1 })).Tensor;
        string pooled = context.AddLayer(node, name => new GlobalAvgPoolLayer(name, input)).Tensor;
        if (!keepDims)
            context.AddLayer(node, name => new FlattenLayer(name, pooled));
        else if (channelsLast)
            context.AddLayer(node, name => new TransposeLayer(name, pooled, new[] { 1, 2, 0 }));
    }
}
