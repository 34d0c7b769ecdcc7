using DataType = Microsoft.ML.Compression.Onnx.Proto.TensorProto.Types.DataType;

namespace Microsoft.ML.Compression.Onnx.Import;

/// <summary>
/// The ONNX element types the importer can hold as constants (FLOAT and the integer types up to 64 bits, UINT64
/// excepted) and their integer ranges.
/// </summary>
internal static class ElementTypes
{
    /// <summary>True for the integer types a <see cref="ConstantTensor"/> holds as <see cref="long"/> values (BOOL as 0/1).</summary>
    public static bool IsInteger(DataType type) => type is DataType.Int8 or DataType.Uint8 or DataType.Int16 or DataType.Uint16
        or DataType.Int32 or DataType.Uint32 or DataType.Int64 or DataType.Bool
        or DataType.Int4 or DataType.Uint4 or DataType.Int2 or DataType.Uint2;

    /// <summary>True for the integer types QuantizeLinear and DequantizeLinear take (8-, 16- and 32-bit signed, 8- and 16-bit unsigned, INT4/UINT4, INT2/UINT2).</summary>
    public static bool IsQuantized(DataType type) => IsInteger(type) && type is not (DataType.Int64 or DataType.Uint32 or DataType.Bool);

    /// <summary>True when a constant of this type can be held.</summary>
    public static bool IsSupported(DataType type) => type == DataType.Float || IsInteger(type);

    /// <summary>True for the unsigned integer types (BOOL included).</summary>
    public static bool IsUnsigned(DataType type) => type is DataType.Uint8 or DataType.Uint16 or DataType.Uint32
        or DataType.Bool or DataType.Uint4 or DataType.Uint2;

    /// <summary>Bits per element of an integer type.</summary>
    public static int Bits(DataType type) => type switch
    {
        DataType.Bool => 1,
        DataType.Int2 or DataType.Uint2 => 2,
        DataType.Int4 or DataType.Uint4 => 4,
        DataType.Int8 or DataType.Uint8 => 8,
        DataType.Int16 or DataType.Uint16 => 16,
        DataType.Int32 or DataType.Uint32 => 32,
        DataType.Int64 => 64,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Not an integer element type."),
    };

    /// <summary>The smallest value of an integer type.</summary>
    public static long Min(DataType type) => IsUnsigned(type) ? 0 : type == DataType.Int64 ? long.MinValue : -(1L << (Bits(type) - 1));

    /// <summary>The largest value of an integer type.</summary>
    public static long Max(DataType type) => type == DataType.Int64 ? long.MaxValue
        : IsUnsigned(type) ? (1L << Bits(type)) - 1 : (1L << (Bits(type) - 1)) - 1;

    /// <summary>
    /// <paramref name="value"/> reduced modulo 2^bits into the type's range, as fixed-width integer arithmetic
    /// overflows (BOOL: any non-zero value is 1).
    /// </summary>
    public static long Wrap(DataType type, long value)
    {
        if (type == DataType.Bool) return value != 0 ? 1 : 0;
        int bits = Bits(type);
        if (bits == 64) return value;
        long mask = (1L << bits) - 1, low = value & mask;
        return !IsUnsigned(type) && low > Max(type) ? low - (1L << bits) : low;
    }

    /// <summary>The type's name as the IR writes it (e.g. "INT4").</summary>
    public static string Name(DataType type) => type.ToString().ToUpperInvariant();

    /// <summary>The name of a raw data_type value, or its number when it is not a known type.</summary>
    public static string Name(int type) => Enum.IsDefined(typeof(DataType), type) ? Name((DataType)type) : $"data type {type}";
}
