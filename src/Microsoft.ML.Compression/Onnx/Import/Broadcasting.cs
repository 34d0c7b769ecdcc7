namespace Microsoft.ML.Compression.Onnx.Import;

/// <summary>Numpy-style (multidirectional) broadcasting, as ONNX's element-wise ops define it.</summary>
internal static class Broadcasting
{
    /// <summary>The broadcast shape of <paramref name="a"/> and <paramref name="b"/>, or null when they do not broadcast.</summary>
    public static long[]? Shape(long[] a, long[] b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var shape = new long[rank];
        for (int i = 0; i < rank; i++)
        {
            long da = Dim(a, i, rank), db = Dim(b, i, rank);
            if (da != db && da != 1 && db != 1) return null;
            shape[i] = da == 1 ? db : da;
        }
        return shape;
    }

    /// <summary>
    /// For each element of <paramref name="output"/> (row-major), the index of the element of a tensor of shape
    /// <paramref name="input"/> that broadcasts onto it.
    /// </summary>
    public static int[] SourceIndices(long[] output, long[] input)
    {
        int rank = output.Length;
        var strides = new long[rank]; // 0 along broadcast axes
        long stride = 1;
        for (int i = rank - 1; i >= 0; i--)
        {
            long d = Dim(input, i, rank);
            strides[i] = d == 1 ? 0 : stride;
            stride *= d;
        }
        long count = ConstantTensor.ElementCount(output);
        var indices = new int[count];
        var position = new long[rank];
        long source = 0;
        for (long n = 0; n < count; n++)
        {
            indices[n] = (int)source;
            // Advance the multi-index like an odometer, keeping the source offset in step.
            for (int axis = rank - 1; axis >= 0; axis--)
            {
                source += strides[axis];
                if (++position[axis] < output[axis]) break;
                source -= strides[axis] * position[axis];
                position[axis] = 0;
            }
        }
        return indices;
    }

    // Shapes align at their last axes; missing leading axes count as 1.
    private static long Dim(long[] shape, int axis, int rank)
    {
        int i = axis - (rank - shape.Length);
        return i < 0 ? 1 : shape[i];
    }
}
