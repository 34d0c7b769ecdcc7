using System;
using System.Linq;

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

    /// <summary>A tensor of <paramref name="shape"/> filled with <paramref name="value"/>.</summary>
    public static ParameterTensor Filled(int[] shape, float value)
    {
        var data = new float[shape.Aggregate(1, (a, d) => a * d)];
        Array.Fill(data, value);
        return new ParameterTensor(shape, data);
    }
}
