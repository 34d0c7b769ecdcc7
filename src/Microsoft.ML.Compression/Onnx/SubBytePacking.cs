namespace Microsoft.ML.Compression.Onnx;

/// <summary>
/// Packs several small integers into each byte, in the layouts ONNX defines: INT4 holds two signed values per byte
/// (the first in the low nibble), INT2 four (x0 | x1 &lt;&lt; 2 | x2 &lt;&lt; 4 | x3 &lt;&lt; 6), and the 1-bit form eight
/// (value i in bit i % 8 of byte i / 8, least significant bit first), which the exported graph unpacks with
/// BitShift and BitwiseAnd. The last byte is padded with zeros.
/// </summary>
internal static class SubBytePacking
{
    /// <summary>Packs signed values of <paramref name="bits"/> bits (1: 0 or 1 unsigned; 2: -2..1; 4: -8..7).</summary>
    public static byte[] Pack(ReadOnlySpan<int> values, int bits)
    {
        CheckBits(bits);
        int perByte = 8 / bits, mask = (1 << bits) - 1;
        int min = bits == 1 ? 0 : -(1 << (bits - 1)), max = bits == 1 ? 1 : (1 << (bits - 1)) - 1;
        var packed = new byte[(values.Length + perByte - 1) / perByte];
        for (int i = 0; i < values.Length; i++)
        {
            if (values[i] < min || values[i] > max)
                throw new ArgumentOutOfRangeException(nameof(values), values[i], $"Value {i} does not fit in {bits} bits ({min}..{max}).");
            packed[i / perByte] |= (byte)((values[i] & mask) << (i % perByte * bits));
        }
        return packed;
    }

    /// <summary>The inverse of <see cref="Pack"/>: <paramref name="count"/> values, sign-extended for 2 and 4 bits.</summary>
    public static int[] Unpack(ReadOnlySpan<byte> packed, int bits, int count)
    {
        CheckBits(bits);
        int perByte = 8 / bits, mask = (1 << bits) - 1;
        if (packed.Length * perByte < count)
            throw new ArgumentException($"{packed.Length} bytes hold fewer than {count} values of {bits} bits.", nameof(count));
        var values = new int[count];
        for (int i = 0; i < count; i++)
        {
            int raw = (packed[i / perByte] >> (i % perByte * bits)) & mask;
            values[i] = bits > 1 && raw >= 1 << (bits - 1) ? raw - (1 << bits) : raw;
        }
        return values;
    }

    private static void CheckBits(int bits)
    {
        if (bits is not (1 or 2 or 4))
            throw new ArgumentOutOfRangeException(nameof(bits), bits, "Packing supports 1, 2 and 4 bits.");
    }
}
