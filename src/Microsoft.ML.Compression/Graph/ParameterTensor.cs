namespace Microsoft.ML.Compression.Graph;

/// <summary>A dense float tensor holding one parameter or buffer of a layer (row-major, PyTorch layout).</summary>
public sealed class ParameterTensor
{
    /// <summary>Creates a tensor; <paramref name="data"/> length must equal the product of <paramref name="shape"/>.</summary>
    public ParameterTensor(int[] shape, float[] data)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(data);
        long count = shape.Aggregate(1L, (a, d) => a * d);
        if (count != data.Length)
            throw new ArgumentException($"Parameter data has {data.Length} values but shape [{string.Join(",", shape)}] needs {count}.", nameof(data));
        Shape = (int[])shape.Clone();
        Data = data;
    }

    /// <summary>Dimensions, e.g. [out, in/groups, k, k] for a convolution weight.</summary>
    public int[] Shape { get; }

    /// <summary>The values, row-major.</summary>
    public float[] Data { get; }

    /// <summary>Number of elements.</summary>
    public int Count => Data.Length;

    /// <summary>A deep copy.</summary>
    public ParameterTensor Clone() => new(Shape, (float[])Data.Clone());

    /// <summary>
    /// The slices at <paramref name="indices"/> (in that order) along <paramref name="axis"/>, e.g. the kept output
    /// channels (axis 0) or input channels (axis 1) of a convolution weight.
    /// </summary>
    public ParameterTensor Select(int axis, int[] indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        if (axis < 0 || axis >= Shape.Length)
            throw new ArgumentOutOfRangeException(nameof(axis), axis, $"Axis must be in [0, {Shape.Length}) for shape [{string.Join(",", Shape)}].");
        int size = Shape[axis];
        foreach (int i in indices)
            if (i < 0 || i >= size)
                throw new ArgumentOutOfRangeException(nameof(indices), i, $"Index must be in [0, {size}) along axis {axis}.");
        int outer = Shape.Take(axis).Aggregate(1, (a, d) => a * d);
        int inner = Shape.Skip(axis + 1).Aggregate(1, (a, d) => a * d);
        var shape = (int[])Shape.Clone();
        shape[axis] = indices.Length;
        var data = new float[outer * indices.Length * inner];
        for (int o = 0; o < outer; o++)
            for (int j = 0; j < indices.Length; j++)
                Array.Copy(Data, ((long)o * size + indices[j]) * inner, data, ((long)o * indices.Length + j) * inner, inner);
        return new ParameterTensor(shape, data);
    }

    /// <summary>A tensor of <paramref name="shape"/> filled with <paramref name="value"/>.</summary>
    public static ParameterTensor Filled(int[] shape, float value)
    {
        var data = new float[shape.Aggregate(1, (a, d) => a * d)];
        Array.Fill(data, value);
        return new ParameterTensor(shape, data);
    }
}
