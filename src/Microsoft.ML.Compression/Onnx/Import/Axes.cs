namespace Microsoft.ML.Compression.Onnx.Import;

/// <summary>Axis arguments as the IR defines them: negative values count from the end.</summary>
internal static class Axes
{
    /// <summary><paramref name="axis"/> in [0, rank); throws naming <paramref name="node"/> when out of range.</summary>
    public static int Normalize(long axis, int rank, OnnxNode node)
    {
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) throw node.Invalid($"axis {axis} is out of range for rank {rank}.");
        return (int)a;
    }

    /// <summary>
    /// <paramref name="shape"/> without the size-1 axes Squeeze removes: <paramref name="axes"/>, or every size-1 axis
    /// when null; throws naming <paramref name="node"/> for an axis whose size is not 1.
    /// </summary>
    public static long[] Squeezed(long[] shape, long[]? axes, OnnxNode node)
    {
        var removed = axes is null
            ? Enumerable.Range(0, shape.Length).Where(i => shape[i] == 1).ToHashSet()
            : axes.Select(a => Normalize(a, shape.Length, node)).ToHashSet();
        foreach (int axis in removed)
            if (shape[axis] != 1) throw node.Invalid($"axis {axis} of [{string.Join(",", shape)}] is not 1.");
        return shape.Where((_, i) => !removed.Contains(i)).ToArray();
    }

    /// <summary><paramref name="shape"/> with a size-1 axis inserted at each of <paramref name="axes"/> (positions in the result).</summary>
    public static long[] Unsqueezed(long[] shape, long[] axes, OnnxNode node)
    {
        int rank = shape.Length + axes.Length;
        var inserted = axes.Select(a => Normalize(a, rank, node)).ToHashSet();
        if (inserted.Count != axes.Length) throw node.Invalid("an axis is repeated.");
        var result = new long[rank];
        for (int i = 0, j = 0; i < rank; i++)
            result[i] = inserted.Contains(i) ? 1 : shape[j++];
        return result;
    }
}
