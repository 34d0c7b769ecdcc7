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
        long[]? axes = context.Opset >= 13 ? context.OptionalConstant(node, 1)?.Integers : node.Ints("axes");
        var dims = value.Shape.Select(d => (long)d).Prepend(1L).ToList();
        if (node.OpType == "Squeeze")
        {
            var removed = axes is null
                ? Enumerable.Range(1, dims.Count - 1).Where(i => dims[i] == 1).ToHashSet()
                : axes.Select(a => Axes.Normalize(a, dims.Count, node)).ToHashSet();
            if (removed.Contains(0)) throw node.Unsupported("squeezing the batch axis is not supported.");
            if (removed.Any(a => dims[a] != 1)) throw node.Invalid($"an axis in [{string.Join(",", removed)}] does not have size 1.");
            dims = dims.Where((_, i) => !removed.Contains(i)).ToList();
        }
        else
        {
            if (axes is null) throw node.Invalid("the axes are required.");
            int rank = dims.Count + axes.Length;
            var inserted = axes.Select(a => Axes.Normalize(a, rank, node)).OrderBy(a => a).ToArray();
            if (inserted.Contains(0)) throw node.Unsupported("inserting an axis before the batch is not supported.");
            foreach (int a in inserted) dims.Insert(a, 1);
        }
        Reshaping.Apply(node, context, value, dims.Skip(1).Select(d => (int)d).ToArray(), lazy: true);
    }
}
