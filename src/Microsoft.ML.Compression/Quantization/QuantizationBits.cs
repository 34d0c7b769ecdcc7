using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Quantization.LowBit;

namespace Microsoft.ML.Compression.Quantization;

/// <summary>The bit-width combinations SimQAT and post-training quantization support, and their low-bit layer choice.</summary>
internal static class QuantizationBits
{
    /// <summary>Weights 8 with activations 8 (int8), or weights 1, 2 or 4 with activations 8 or 32 (float).</summary>
    public static void Validate(int weightBits, int activationBits, string weightOption, string activationOption)
    {
        if (weightBits is not (1 or 2 or 4 or 8))
            throw new ArgumentOutOfRangeException(weightOption, weightBits, $"{weightOption} must be 8 (int8) or 1, 2 or 4 (sub-byte), but is {weightBits}.");
        if (activationBits is not (8 or 32))
            throw new ArgumentOutOfRangeException(activationOption, activationBits, $"{activationOption} must be 8 (uint8) or 32 (float), but is {activationBits}.");
        if (weightBits == 8 && activationBits != 8)
            throw new ArgumentOutOfRangeException(activationOption, activationBits, $"{activationOption} must be 8 with 8-bit weights (float activations need {weightOption} 1, 2 or 4).");
    }

    /// <summary>
    /// Checks <paramref name="keepFloat"/> against <paramref name="network"/> (so a bad name fails before Fit) and, for
    /// 1-, 2- or 4-bit weights, returns the layers a low-bit baseline quantizes (SLB's default: every convolution but a
    /// classifier one); null for int8, which quantizes every Conv2d and Linear layer not kept in float.
    /// </summary>
    public static IReadOnlyList<string>? CheckLayers(NetworkGraph network, int weightBits, IReadOnlyCollection<string> keepFloat, string keepFloatOption)
    {
        QuantizationPlan.WeightLayers(network, keepFloat, keepFloatOption);
        return weightBits < 8 ? new LowBitLayerSelection(false, true, false, keepFloat).Select(network, keepFloatOption) : null;
    }

    /// <summary>The name a low-bit method gives its model (report and ONNX metadata), e.g. "slb-w2" or "ste-w1a8".</summary>
    public static string LowBitMethod(string prefix, int weightBits, bool uint8Activations) =>
        $"{prefix}-w{weightBits}" + (uint8Activations ? "a8" : "");
}
