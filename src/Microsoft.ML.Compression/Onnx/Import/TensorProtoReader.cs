using System.Buffers.Binary;
using System.IO;
using Microsoft.ML.Compression.Onnx.Proto;
using DataType = Microsoft.ML.Compression.Onnx.Proto.TensorProto.Types.DataType;

namespace Microsoft.ML.Compression.Onnx.Import;

/// <summary>
/// Decodes a <see cref="TensorProto"/> into a <see cref="ConstantTensor"/>: raw_data (little-endian, sub-byte types
/// packed low bits first) or the typed fields (float_data, int32_data, int64_data).
/// </summary>
internal static class TensorProtoReader
{
    /// <summary>Reads <paramref name="tensor"/>; <paramref name="what"/> names it in messages (e.g. "initializer 'w'").</summary>
    /// <exception cref="NotSupportedException">Its element type cannot be held, or its data lives in an external file.</exception>
    /// <exception cref="InvalidDataException">Its data does not match its dims.</exception>
    public static ConstantTensor Read(TensorProto tensor, string what)
    {
        if (tensor.DataLocation == TensorProto.Types.DataLocation.External || tensor.ExternalData.Count > 0)
            throw new NotSupportedException($"The data of {what} is stored in an external file; import the model with its weights embedded.");
        var type = (DataType)tensor.DataType;
        if (!ElementTypes.IsSupported(type))
            throw new NotSupportedException($"{what} has element type {ElementTypes.Name(tensor.DataType)}; the importer reads FLOAT and integer tensors up to INT64.");
        long[] shape = tensor.Dims.ToArray();
        if (shape.Any(d => d < 0))
            throw new InvalidDataException($"{what} has a negative dimension [{string.Join(",", shape)}].");
        long count = ConstantTensor.ElementCount(shape);
        if (count > Array.MaxLength)
            throw new NotSupportedException($"{what} has {count} elements, more than an array holds.");
        int n = (int)count;
        return type == DataType.Float
            ? ConstantTensor.Float(shape, ReadFloats(tensor, n, what))
            : ConstantTensor.Integer(type, shape, ReadIntegers(tensor, type, n, what));
    }

    private static float[] ReadFloats(TensorProto t, int n, string what)
    {
        if (!t.RawData.IsEmpty)
        {
            ReadOnlySpan<byte> raw = Expect(t.RawData.Span, (long)n * 4, what);
            var values = new float[n];
            for (int i = 0; i < n; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(raw[(i * 4)..]);
            return values;
        }
        if (t.FloatData.Count != n) throw Mismatch(what, t.FloatData.Count, "float_data", n);
        return t.FloatData.ToArray();
    }

    private static long[] ReadIntegers(TensorProto t, DataType type, int n, string what)
    {
        int bits = ElementTypes.Bits(type);
        if (!t.RawData.IsEmpty)
        {
            if (bits < 8 && type != DataType.Bool)
                return Unpack(Expect(t.RawData.Span, ((long)n * bits + 7) / 8, what), type, n);
            int size = type == DataType.Bool ? 1 : bits / 8;
            ReadOnlySpan<byte> raw = Expect(t.RawData.Span, (long)n * size, what);
            var values = new long[n];
            for (int i = 0; i < n; i++)
            {
                ReadOnlySpan<byte> e = raw[(i * size)..];
                long v = size switch
                {
                    1 => e[0],
                    2 => BinaryPrimitives.ReadUInt16LittleEndian(e),
                    4 => BinaryPrimitives.ReadUInt32LittleEndian(e),
                    _ => BinaryPrimitives.ReadInt64LittleEndian(e),
                };
                values[i] = ElementTypes.Wrap(type, v); // reinterprets the unsigned bytes as the signed type
            }
            return values;
        }
        if (type == DataType.Int64)
        {
            if (t.Int64Data.Count != n) throw Mismatch(what, t.Int64Data.Count, "int64_data", n);
            return t.Int64Data.ToArray();
        }
        if (type == DataType.Uint32)
            throw new NotSupportedException($"{what} stores UINT32 values in uint64_data; the importer reads them from raw_data only.");
        if (bits < 8 && type != DataType.Bool)
        {
            // Sub-byte types keep one packed byte per int32_data element.
            int bytes = (int)(((long)n * bits + 7) / 8);
            if (t.Int32Data.Count != bytes) throw Mismatch(what, t.Int32Data.Count, "int32_data", bytes);
            return Unpack(t.Int32Data.Select(v => (byte)v).ToArray(), type, n);
        }
        if (t.Int32Data.Count != n) throw Mismatch(what, t.Int32Data.Count, "int32_data", n);
        return t.Int32Data.Select(v => ElementTypes.Wrap(type, v)).ToArray();
    }

    private static long[] Unpack(ReadOnlySpan<byte> packed, DataType type, int n)
    {
        int bits = ElementTypes.Bits(type), perByte = 8 / bits, mask = (1 << bits) - 1;
        var values = new long[n];
        for (int i = 0; i < n; i++)
            values[i] = ElementTypes.Wrap(type, (packed[i / perByte] >> (i % perByte * bits)) & mask);
        return values;
    }

    private static ReadOnlySpan<byte> Expect(ReadOnlySpan<byte> raw, long bytes, string what) =>
        raw.Length == bytes ? raw : throw new InvalidDataException($"{what} has {raw.Length} bytes of raw_data; its dims need {bytes}.");

    private static InvalidDataException Mismatch(string what, int found, string field, int needed) =>
        new($"{what} has {found} values in {field}; its dims need {needed}.");
}
