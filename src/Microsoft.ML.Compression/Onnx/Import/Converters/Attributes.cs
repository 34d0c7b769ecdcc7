using System.Globalization;

namespace Microsoft.ML.Compression.Onnx.Import.Converters;

/// <summary>Reading float attributes into the IR's double settings.</summary>
internal static class Attributes
{
    /// <summary>The float as its shortest decimal, so 0.01 written as a float is 0.01 again (not 0.0099999998).</summary>
    public static double Decimal(float value) =>
        double.Parse(value.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
}
