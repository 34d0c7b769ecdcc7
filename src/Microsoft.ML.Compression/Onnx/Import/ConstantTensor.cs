using DataType = Microsoft.ML.Compression.Onnx.Proto.TensorProto.Types.DataType;

namespace Microsoft.ML.Compression.Onnx.Import;

/// <summary>
/// A tensor known while importing (an initializer, a Constant node or a folded result): its ONNX element type, shape
/// and values, as <see cref="float"/> for FLOAT and as <see cref="long"/> for every integer type, which holds them all
/// exactly, so evaluators need one code path per kind instead of one per type.
/// </summary>
internal sealed class ConstantTensor
{
    private readonly float[]? _floats;
    private readonly long[]? _integers;

    private ConstantTensor(DataType type, long[] shape, float[]? floats, long[]? integers)
    {
        long count = ElementCount(shape);
        long length = floats?.Length ?? integers!.Length;
        if (count != length)
            throw new ArgumentException($"{length} values do not fill shape [{string.Join(",", shape)}] ({count} values).");
        Type = type;
        Shape = shape;
        _floats = floats;
        _integers = integers;
    }

    /// <summary>A FLOAT tensor.</summary>
    public static ConstantTensor Float(long[] shape, float[] values) => new(DataType.Float, shape, values, null);

    /// <summary>An integer tensor; the values must already lie in the type's range.</summary>
    public static ConstantTensor Integer(DataType type, long[] shape, long[] values)
    {
        if (!ElementTypes.IsInteger(type)) throw new ArgumentException($"{type} is not an integer type.", nameof(type));
        return new ConstantTensor(type, shape, null, values);
    }

    /// <summary>The element type.</summary>
    public DataType Type { get; }

    /// <summary>The dimensions (empty for a scalar).</summary>
    public long[] Shape { get; }

    /// <summary>Number of dimensions.</summary>
    public int Rank => Shape.Length;

    /// <summary>Number of elements.</summary>
    public int Count => _floats?.Length ?? _integers!.Length;

    /// <summary>True for a FLOAT tensor.</summary>
    public bool IsFloat => _floats is not null;

    /// <summary>The values of a FLOAT tensor, row-major.</summary>
    public float[] Floats => _floats ?? throw new InvalidOperationException($"A {ElementTypes.Name(Type)} tensor has no float values.");

    /// <summary>The values of an integer tensor, row-major.</summary>
    public long[] Integers => _integers ?? throw new InvalidOperationException("A FLOAT tensor has no integer values.");

    /// <summary>The same values with another shape of the same element count.</summary>
    public ConstantTensor Reshaped(long[] shape) => new(Type, shape, _floats, _integers);

    /// <summary>The product of <paramref name="shape"/> (1 for a scalar).</summary>
    public static long ElementCount(long[] shape) => shape.Aggregate(1L, (a, d) => a * d);

    /// <summary>Type and shape, e.g. "INT8[16,1,3,3]", for messages.</summary>
    public override string ToString() => $"{ElementTypes.Name(Type)}[{string.Join(",", Shape)}]";
}
