namespace Microsoft.ML.Compression.Quantization;

/// <summary>
/// Affine quantization of a tensor to uint8: <c>q = clamp(round(x / Scale) + ZeroPoint, 0, 255)</c>,
/// <c>x ≈ (q - ZeroPoint) * Scale</c>. The representable range always contains 0 exactly (zero padding and ReLU
/// outputs stay exact), which is why ranges are "nudged" onto the grid.
/// </summary>
/// <param name="Scale">Step between two quantized values; positive.</param>
/// <param name="ZeroPoint">The integer that represents 0, in [0, 255].</param>
public readonly record struct QuantParams(float Scale, int ZeroPoint)
{
    /// <summary>Smallest uint8 value.</summary>
    public const int QMin = 0;

    /// <summary>Largest uint8 value.</summary>
    public const int QMax = 255;

    /// <summary>The smallest representable value.</summary>
    public float Min => (QMin - ZeroPoint) * Scale;

    /// <summary>The largest representable value.</summary>
    public float Max => (QMax - ZeroPoint) * Scale;

    /// <summary>
    /// Parameters covering [<paramref name="min"/>, <paramref name="max"/>] widened to include 0: scale =
    /// (max - min) / 255, zero point = round(-min / scale) clamped to [0, 255] (Jacob et al.'s nudging).
    /// </summary>
    /// <param name="min">The smallest value seen.</param>
    /// <param name="max">The largest value seen.</param>
    /// <param name="tensor">What the range was measured on (a layer's output), named in the error when the range is not finite.</param>
    public static QuantParams FromRange(float min, float max, string? tensor = null)
    {
        if (float.IsNaN(min) || float.IsNaN(max) || float.IsInfinity(min) || float.IsInfinity(max))
            throw new ArgumentException(
                $"Cannot quantize the range [{min.ToString(System.Globalization.CultureInfo.InvariantCulture)}, {max.ToString(System.Globalization.CultureInfo.InvariantCulture)}]"
                + (tensor is null ? "" : $" of tensor '{tensor}'")
                + ": both ends must be finite numbers. The model produces NaN or infinite values there: check the calibration data for extreme values and the weights for NaN.");
        if (min > max) (min, max) = (max, min);
        min = Math.Min(min, 0f);
        max = Math.Max(max, 0f);
        if (max - min < 1e-12f) return new QuantParams(1f, 0); // an all-zero tensor: any scale represents it exactly
        float scale = (max - min) / (QMax - QMin);
        int zeroPoint = (int)Math.Clamp(Math.Round(QMin - min / scale, MidpointRounding.ToEven), QMin, QMax);
        return new QuantParams(scale, zeroPoint);
    }

    /// <summary>Quantizes one value (round half to even, as ONNX QuantizeLinear does).</summary>
    public byte Quantize(float x) =>
        (byte)Math.Clamp(Math.Round(x / Scale, MidpointRounding.ToEven) + ZeroPoint, QMin, QMax);

    /// <summary>The value a quantized integer stands for.</summary>
    public float Dequantize(int q) => (q - ZeroPoint) * Scale;
}
