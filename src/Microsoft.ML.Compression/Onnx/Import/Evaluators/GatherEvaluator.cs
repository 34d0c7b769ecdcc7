namespace Microsoft.ML.Compression.Onnx.Import.Evaluators;

/// <summary>Gather of constants along an axis (negative indices count from the end), e.g. picking sizes out of a Shape.</summary>
[OnnxOp("Gather")]
internal sealed class GatherEvaluator : IConstantEvaluator
{
    public IReadOnlyList<ConstantTensor> Evaluate(OnnxNode node, ConstantInputs inputs)
    {
        ConstantTensor data = inputs.Required(0), indices = inputs.Required(1);
        if (indices.IsFloat) throw node.Invalid($"the indices are {indices}, not integers.");
        if (data.Rank == 0) throw node.Invalid("the data is a scalar.");
        int axis = Axes.Normalize(node.Int("axis", 0), data.Rank, node);
        long size = data.Shape[axis];
        long inner = data.Shape.Skip(axis + 1).Aggregate(1L, (a, d) => a * d);
        long outer = data.Shape.Take(axis).Aggregate(1L, (a, d) => a * d);
        long[] picks = indices.Integers.Select(i => i < 0 ? i + size : i).ToArray();
        if (picks.Any(i => i < 0 || i >= size)) throw node.Invalid($"an index is out of range for axis {axis} of size {size}.");
        long[] shape = data.Shape.Take(axis).Concat(indices.Shape).Concat(data.Shape.Skip(axis + 1)).ToArray();
        var sources = new List<long>();
        for (long o = 0; o < outer; o++)
            foreach (long i in picks)
                for (long k = 0; k < inner; k++)
                    sources.Add((o * size + i) * inner + k);
        return new[] { data.IsFloat
            ? ConstantTensor.Float(shape, sources.Select(s => data.Floats[s]).ToArray())
            : ConstantTensor.Integer(data.Type, shape, sources.Select(s => data.Integers[s]).ToArray()) };
    }
}
