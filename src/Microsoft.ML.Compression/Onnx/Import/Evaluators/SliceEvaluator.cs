namespace Microsoft.ML.Compression.Onnx.Import.Evaluators;

/// <summary>
/// Slice of a constant: starts, ends, axes and steps as inputs (opset 10+) or starts, ends, axes as attributes
/// (before), clamped to the dimensions as the IR specifies.
/// </summary>
[OnnxOp("Slice")]
internal sealed class SliceEvaluator : IConstantEvaluator
{
    public IReadOnlyList<ConstantTensor> Evaluate(OnnxNode node, ConstantInputs inputs)
    {
        ConstantTensor data = inputs.Required(0);
        var (starts, ends, axes, steps) = SliceArguments.Read(node, inputs.Opset, inputs.OptionalIntegers);

        int rank = data.Rank;
        var first = new long[rank];
        var step = Enumerable.Repeat(1L, rank).ToArray();
        long[] shape = (long[])data.Shape.Clone();
        var seen = new HashSet<int>();
        for (int i = 0; i < starts.Length; i++)
        {
            int axis = Axes.Normalize(axes[i], rank, node);
            if (!seen.Add(axis)) throw node.Invalid($"axis {axes[i]} is sliced twice.");
            if (steps[i] == 0) throw node.Invalid("a step is 0.");
            (first[axis], shape[axis]) = Range(starts[i], ends[i], steps[i], data.Shape[axis]);
            step[axis] = steps[i];
        }

        long[] strides = Strides(data.Shape);
        long count = ConstantTensor.ElementCount(shape);
        var source = new int[count];
        var position = new long[rank];
        for (long n = 0; n < count; n++)
        {
            long offset = 0;
            for (int a = 0; a < rank; a++) offset += (first[a] + position[a] * step[a]) * strides[a];
            source[n] = (int)offset;
            for (int a = rank - 1; a >= 0 && ++position[a] >= shape[a]; a--) position[a] = 0;
        }
        return new[] { data.IsFloat
            ? ConstantTensor.Float(shape, source.Select(i => data.Floats[i]).ToArray())
            : ConstantTensor.Integer(data.Type, shape, source.Select(i => data.Integers[i]).ToArray()) };
    }

    /// <summary>The first index and the number of elements a slice takes from a dimension of size <paramref name="size"/>.</summary>
    internal static (long First, long Count) Range(long start, long end, long step, long size)
    {
        if (start < 0) start += size;
        if (end < 0) end += size;
        if (step > 0)
        {
            start = Math.Clamp(start, 0, size);
            end = Math.Clamp(end, 0, size);
            return (start, Math.Max(0, (end - start + step - 1) / step));
        }
        start = Math.Clamp(start, 0, size - 1);
        end = Math.Clamp(end, -1, size - 1);
        return (start, Math.Max(0, (start - end - step - 1) / -step));
    }

    private static long[] Strides(long[] shape)
    {
        var strides = new long[shape.Length];
        long s = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            strides[i] = s;
            s *= shape[i];
        }
        return strides;
    }
}
