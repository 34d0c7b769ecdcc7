namespace Microsoft.ML.Compression.Onnx.Import.Evaluators;

/// <summary>Concat of constants of one element type along an axis (e.g. assembling a Reshape target).</summary>
[OnnxOp("Concat")]
internal sealed class ConcatEvaluator : IConstantEvaluator
{
    public IReadOnlyList<ConstantTensor> Evaluate(OnnxNode node, ConstantInputs inputs)
    {
        var parts = Enumerable.Range(0, node.Inputs.Count).Select(inputs.Optional).Where(p => p is not null).Select(p => p!).ToArray();
        if (parts.Length == 0) throw node.Invalid("it has no inputs.");
        ConstantTensor first = parts[0];
        if (!node.Has("axis")) throw node.Invalid("attribute 'axis' is required.");
        int axis = Axes.Normalize(node.Int("axis", 0), Math.Max(first.Rank, 1), node);
        foreach (ConstantTensor p in parts)
            if (p.Type != first.Type || p.Rank != first.Rank || Enumerable.Range(0, p.Rank).Any(d => d != axis && p.Shape[d] != first.Shape[d]))
                throw node.Invalid($"inputs {first} and {p} cannot be concatenated along axis {axis}.");
        long outer = first.Shape.Take(axis).Aggregate(1L, (a, d) => a * d);
        long[] shape = (long[])first.Shape.Clone();
        shape[axis] = parts.Sum(p => p.Shape[axis]);
        var order = new List<(ConstantTensor Part, long Index)>();
        for (long o = 0; o < outer; o++)
            foreach (ConstantTensor p in parts)
            {
                long block = p.Count / Math.Max(outer, 1);
                for (long k = 0; k < block; k++) order.Add((p, o * block + k));
            }
        return new[] { first.IsFloat
            ? ConstantTensor.Float(shape, order.Select(x => x.Part.Floats[x.Index]).ToArray())
            : ConstantTensor.Integer(first.Type, shape, order.Select(x => x.Part.Integers[x.Index]).ToArray()) };
    }
}
