using Microsoft.ML.Compression.Graph;

namespace Microsoft.ML.Compression.Onnx.Import.Converters;

/// <summary>
/// ReduceMean over the spatial axes (2 and 3) of an NCHW map -> <see cref="GlobalAvgPoolLayer"/>, followed by a
/// flatten when keepdims is 0. Axes are an attribute before opset 18 and an input from 18.
/// </summary>
[OnnxOp("ReduceMean")]
internal sealed class ReduceMeanConverter : IOpConverter
{
    public void Convert(OnnxNode node, ImportContext context)
    {
        string input = context.LayerInput(node, 0);
        int[] shape = context.ShapeOf(input);
        long[]? axes = context.Opset >= 18 ? context.OptionalConstant(node, 1)?.Integers : node.Ints("axes");
        var reduced = axes?.Select(a => Axes.Normalize(a, shape.Length + 1, node)).OrderBy(a => a).ToArray();
        if (shape.Length != 3 || reduced is null || !reduced.SequenceEqual(new[] { 2, 3 }))
            throw node.Unsupported($"reducing axes [{string.Join(",", axes ?? Array.Empty<long>())}] of {Layer.Format(shape)} (batch excluded) is not supported; only the mean over H and W (axes 2, 3) of an NCHW map is.");
        ActivationValue pooled = context.AddLayer(node, name => new GlobalAvgPoolLayer(name, input));
        if (node.Int("keepdims", 1) == 0)
            context.AddLayer(node, name => new FlattenLayer(name, pooled.Tensor));
    }
}
