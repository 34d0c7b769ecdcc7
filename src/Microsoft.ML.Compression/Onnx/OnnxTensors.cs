using System.Buffers.Binary;
using Google.Protobuf;
using Microsoft.ML.Compression.Onnx.Proto;
using DataType = Microsoft.ML.Compression.Onnx.Proto.TensorProto.Types.DataType;

namespace Microsoft.ML.Compression.Onnx;

/// <summary>
/// <see cref="TensorProto"/> factories. Values go into raw_data, which ONNX defines as little-endian whatever the
/// host; the elements are written one by one so big-endian hosts produce the same bytes.
/// </summary>
internal static class OnnxTensors
{
    /// <summary>A float tensor.</summary>
    public static TensorProto Float(string name, IReadOnlyList<long> dims, ReadOnlySpan<float> data)
    {
        var raw = new byte[data.Length * 4];
        for (int i = 0; i < data.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(raw.AsSpan(i * 4), data[i]);
        return Raw(name, DataType.Float, dims, raw, data.Length);
    }

    /// <summary>A float scalar (rank 0), e.g. Clip bounds or a per-tensor quantization scale.</summary>
    public static TensorProto FloatScalar(string name, float value) => Float(name, Array.Empty<long>(), new[] { value });

    /// <summary>An int8 tensor.</summary>
    public static TensorProto Int8(string name, IReadOnlyList<long> dims, ReadOnlySpan<sbyte> data)
    {
        var raw = new byte[data.Length];
        for (int i = 0; i < data.Length; i++) raw[i] = unchecked((byte)data[i]);
        return Raw(name, DataType.Int8, dims, raw, data.Length);
    }

    /// <summary>A uint8 tensor.</summary>
    public static TensorProto UInt8(string name, IReadOnlyList<long> dims, ReadOnlySpan<byte> data) =>
        Raw(name, DataType.Uint8, dims, data.ToArray(), data.Length);

    /// <summary>An int32 tensor.</summary>
    public static TensorProto Int32(string name, IReadOnlyList<long> dims, ReadOnlySpan<int> data)
    {
        var raw = new byte[data.Length * 4];
        for (int i = 0; i < data.Length; i++) BinaryPrimitives.WriteInt32LittleEndian(raw.AsSpan(i * 4), data[i]);
        return Raw(name, DataType.Int32, dims, raw, data.Length);
    }

    /// <summary>An int64 tensor (shapes, axes).</summary>
    public static TensorProto Int64(string name, IReadOnlyList<long> dims, ReadOnlySpan<long> data)
    {
        var raw = new byte[data.Length * 8];
        for (int i = 0; i < data.Length; i++) BinaryPrimitives.WriteInt64LittleEndian(raw.AsSpan(i * 8), data[i]);
        return Raw(name, DataType.Int64, dims, raw, data.Length);
    }

    /// <summary>A 1-D int64 tensor holding <paramref name="values"/>.</summary>
    public static TensorProto Int64Vector(string name, params long[] values) => Int64(name, new long[] { values.Length }, values);

    /// <summary>
    /// A tensor from already-encoded bytes, for element types whose packing the caller owns (INT4/INT2 pack several
    /// elements per byte). <paramref name="elementCount"/>, when given, is checked against <paramref name="dims"/>.
    /// </summary>
    public static TensorProto Raw(string name, DataType type, IReadOnlyList<long> dims, byte[] raw, long? elementCount = null)
    {
        ArgumentNullException.ThrowIfNull(raw);
        if (dims.Any(d => d < 0))
            throw new ArgumentException($"Tensor '{name}' has a negative dimension [{string.Join(",", dims)}].", nameof(dims));
        long count = dims.Aggregate(1L, (a, d) => a * d);
        if (elementCount is long n && n != count)
            throw new ArgumentException($"Tensor '{name}' has {n} values but dims [{string.Join(",", dims)}] need {count}.", nameof(dims));
        var t = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(raw) };
        t.Dims.AddRange(dims);
        return t;
    }

    /// <summary>Int dims to the int64 dims ONNX uses.</summary>
    public static long[] Dims(IEnumerable<int> shape) => shape.Select(d => (long)d).ToArray();
}
