using Microsoft.ML.Compression.Graph;

namespace Microsoft.ML.Compression.Quantization;

/// <summary>
/// Convolutions that ONNX Runtime's CPU int8 kernels run slower than its float ones, so an int8 export keeps them
/// float unless told otherwise. Measured with ORT 1.x on an AVX2 CPU, one thread, single-convolution models of 16x16
/// and 32x32 maps: with 1 or 3 input channels per group (a first layer reading the image) QLinearConv took 2-30x the
/// float Conv's time, while from 8 input channels on it was 1.2-10x faster. The float kernels there are NCHWc-blocked
/// and fused with the ReLU, the int8 ones run in NHWC behind transposes, and with few input channels the int8 dot
/// products have too little depth to pay for that. Depthwise 3x3 convolutions alone were also slower in int8
/// (0.55-0.85x), but keeping them float inside MobileNetV2 made the whole network slower (0.6-0.8x of fp32 instead of
/// 2x for all-int8: every float layer between int8 ones adds a dequantize and a quantize), so they are not on the list.
/// </summary>
internal static class SlowInt8Layers
{
    /// <summary>Convolutions (not depthwise) with fewer input channels per group than this stay float.</summary>
    public const int MinimumInputChannels = 8;

    /// <summary>The layers of <paramref name="network"/> int8 would slow down, with why (for the log).</summary>
    public static IReadOnlyDictionary<string, string> Of(NetworkGraph network) =>
        network.Layers.Select(l => (l.Name, Reason: Reason(l))).Where(e => e.Reason is not null)
            .ToDictionary(e => e.Name, e => e.Reason!, StringComparer.Ordinal);

    /// <summary>Why int8 would slow <paramref name="layer"/> down, or null when it would not.</summary>
    public static string? Reason(Layer layer) => layer switch
    {
        Conv2dLayer { IsDepthwise: false } c when c.InChannels / c.Groups < MinimumInputChannels =>
            $"{c.InChannels / c.Groups} input channel{(c.InChannels / c.Groups == 1 ? "" : "s")} per group (ONNX Runtime's int8 convolution is slower than float below {MinimumInputChannels})",
        _ => null,
    };

    /// <summary>
    /// The layers an export with <paramref name="weightBits"/>-bit weights keeps float: <paramref name="keepFloat"/> plus,
    /// for int8 when <paramref name="keepSlow"/>, the slow ones of <paramref name="network"/> whose input can stay float,
    /// and a log line for each slow layer (none below 8 bits).
    /// </summary>
    /// <remarks>
    /// A slow layer whose input also feeds int8 layers (a residual Add, say) reads a quantized tensor; ONNX Runtime
    /// then quantizes that "float" layer's weights itself when it loads the model, so keeping it float would gain no
    /// speed and would make the export compute something other than what was trained and simulated.
    /// </remarks>
    public static (string[] KeepFloat, IReadOnlyList<string> Notes) Choose(NetworkGraph network, int weightBits, IReadOnlyCollection<string> keepFloat, bool keepSlow)
    {
        // Only int8 weights run on integer kernels; 1-, 2- and 4-bit weights are decoded to float.
        if (weightBits != 8) return (keepFloat.ToArray(), Array.Empty<string>());
        var kept = new List<string>(keepFloat);
        var notes = new List<string>();
        IReadOnlyDictionary<string, string> slow = Of(network);
        foreach (var (layer, reason) in slow)
        {
            if (kept.Contains(layer, StringComparer.Ordinal))
                continue; // kept float by name already
            if (!keepSlow)
                notes.Add($"{layer} is quantized although int8 is slower for it: {reason} (KeepSlowLayersFloat is false).");
            else if (QuantizationPlan.ReadersOf(network, network[layer].Inputs[0]).All(r => r.Name == layer || kept.Contains(r.Name) || slow.ContainsKey(r.Name)))
            {
                kept.Add(layer);
                notes.Add($"{layer} stays float: {reason}.");
            }
            else
                notes.Add($"{layer} stays int8 although int8 is slower for it ({reason}): its input also feeds int8 layers, so ONNX Runtime would quantize it anyway.");
        }
        return (kept.ToArray(), notes);
    }
}
