namespace Microsoft.ML.Compression.Compressed;

/// <summary>
/// The discrete values a low-bit weight may take, before its layer's per-output-channel scale: SLB's sets (Yang et
/// al., 2020), {-1, +1} for 1 bit and 2^b evenly spaced values from -1 to 1 for 2 and 4 bits. No set holds zero, so
/// every level is an odd multiple of half the spacing: level k is (k + 0.5 - L/2) x spacing for L levels.
/// </summary>
public static class WeightLevels
{
    /// <summary>Bit widths with a value set: 1, 2 and 4.</summary>
    public static readonly int[] SupportedBits = { 1, 2, 4 };

    /// <summary>Throws naming <paramref name="optionName"/> unless <paramref name="bits"/> is 1, 2 or 4.</summary>
    public static void Validate(int bits, string optionName)
    {
        if (bits is not (1 or 2 or 4))
            throw new ArgumentOutOfRangeException(optionName, bits, $"{optionName} must be 1, 2 or 4 (sub-byte weights), but is {bits}.");
    }

    /// <summary>Number of levels, 2^bits.</summary>
    public static int Count(int bits)
    {
        Validate(bits, nameof(bits));
        return 1 << bits;
    }

    /// <summary>Distance between neighbouring levels: 2 / (L - 1).</summary>
    public static float Spacing(int bits) => 2f / (Count(bits) - 1);

    /// <summary>The levels in increasing order: {-1, 1} for 1 bit, linspace(-1, 1, 2^bits) otherwise.</summary>
    public static float[] Values(int bits)
    {
        int count = Count(bits);
        var values = new float[count];
        for (int k = 0; k < count; k++) values[k] = Value(bits, k);
        return values;
    }

    /// <summary>Level <paramref name="code"/> (0-based), computed as the ONNX graph computes it: (code + 0.5 - L/2) x spacing.</summary>
    public static float Value(int bits, int code) => (code + 0.5f - Count(bits) / 2) * Spacing(bits);

    /// <summary>The code of the level nearest to <paramref name="x"/> (values beyond ±1 take the outer level).</summary>
    public static byte Nearest(int bits, float x)
    {
        int count = Count(bits);
        float position = x / Spacing(bits) + count / 2 - 0.5f;
        return (byte)Math.Clamp((int)MathF.Round(position, MidpointRounding.ToEven), 0, count - 1);
    }
}
