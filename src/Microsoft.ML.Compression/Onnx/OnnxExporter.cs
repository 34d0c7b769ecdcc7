using System.IO;
using System.Reflection;
using Google.Protobuf;
using Microsoft.ML.Compression.Compressed;
using Microsoft.ML.Compression.Graph;

namespace Microsoft.ML.Compression.Onnx;

/// <summary>
/// Writes a trained <see cref="NetworkGraph"/> as an fp32 ONNX model that ONNX Runtime and ML.NET's OnnxTransformer
/// score directly. The model reads a float tensor [N, C*H*W] (flattened images, row-major) and writes
/// <see cref="LogitsOutput"/> [N, K], <see cref="ScoreOutput"/> [N, K] (softmax probabilities) and
/// <see cref="PredictedLabelOutput"/> [N] (int64 arg max). Facts about the model are written to metadata_props
/// (<see cref="OnnxMetadataKeys"/>). The same graph and options always give the same bytes.
/// </summary>
public static class OnnxExporter
{
    /// <summary>Name of the raw class scores output, float [N, K].</summary>
    public const string LogitsOutput = "Logits";

    /// <summary>Name of the class probabilities output (softmax of the logits), float [N, K].</summary>
    public const string ScoreOutput = "Score";

    /// <summary>Name of the predicted class index output, int64 [N].</summary>
    public const string PredictedLabelOutput = "PredictedLabel";

    /// <summary>The default producer name.</summary>
    public const string DefaultProducer = "Microsoft.ML.Compression";

    /// <summary>This library's version as written to producer_version (without any source-revision suffix).</summary>
    public static string ProducerVersion { get; } = ReadVersion();

    /// <summary>
    /// Exports <paramref name="graph"/>, whose parameters must all be set, as fp32 ONNX bytes.
    /// </summary>
    /// <param name="graph">The network; every parameter of every layer must be set.</param>
    /// <param name="options">Export settings; null for <see cref="OnnxExportOptions.Default"/>.</param>
    /// <exception cref="ArgumentException">A parameter is not set (the message names the layer and parameter), or an option is invalid.</exception>
    public static byte[] Export(NetworkGraph graph, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        if (graph.FirstMissingParameter() is (Layer layer, string parameter))
            throw new ArgumentException(
                $"Cannot export network '{graph.Name}' to ONNX: parameter '{parameter}' of layer '{layer.Name}' ({layer.Kind}) is not set. Train the network or set its parameters first.",
                nameof(graph));
        return Export(new CompressedNetwork(graph), options);
    }

    /// <summary>
    /// Exports a compressed network in standard ONNX: int8 weights as QDQ (int8 weights and int32 biases behind
    /// DequantizeLinear) that ONNX Runtime runs with integer kernels, 1/2/4-bit weights stored at their width (INT4 at
    /// opset 21, INT2 at opset 25, 1 bit packed eight to a byte at opset 18), QuantizeLinear/DequantizeLinear on
    /// quantized activations. metadata_props record the bit widths and the encoded layers.
    /// </summary>
    /// <param name="network">The network and how it is stored.</param>
    /// <param name="options">Export settings; null for the defaults with the lowest opset the encodings need and
    /// <see cref="DefaultMethod"/> as the method.</param>
    /// <exception cref="ArgumentOutOfRangeException">The options' opset is too low for an encoding.</exception>
    public static byte[] Export(CompressedNetwork network, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        options ??= OnnxExportOptions.Default with { Opset = network.MinimumOpset, Method = DefaultMethod(network) };
        return new OnnxNetworkWriter(network).Write(options).ToByteArray();
    }

    /// <summary>
    /// The method name of an export without options: "fp32", "int8-qdq" for int8 weights, "w{bits}" for 1/2/4-bit
    /// weights ("mixed" when layers differ), plus "a8" when activations are quantized with sub-byte weights.
    /// </summary>
    public static string DefaultMethod(CompressedNetwork network)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (network.IsFloat) return "fp32";
        IReadOnlyList<int> bits = network.WeightBitWidths;
        if (bits.Count == 1 && network.Weights.Values.All(w => w is Int8Weights)) return "int8-qdq";
        return (bits.Count == 1 ? $"w{bits[0]}" : "mixed") + (network.ActivationBits == 8 ? "a8" : "");
    }

    /// <summary>Exports <paramref name="graph"/> to <paramref name="destination"/>.</summary>
    /// <param name="graph">The network; every parameter of every layer must be set.</param>
    /// <param name="destination">A writable stream; it is not closed.</param>
    /// <param name="options">Export settings; null for <see cref="OnnxExportOptions.Default"/>.</param>
    /// <exception cref="ArgumentException">A parameter is not set, or an option is invalid.</exception>
    public static void Export(NetworkGraph graph, Stream destination, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(destination);
        byte[] bytes = Export(graph, options);
        destination.Write(bytes, 0, bytes.Length);
    }

    /// <summary>Exports <paramref name="graph"/> to the file <paramref name="path"/> (overwritten if it exists).</summary>
    /// <param name="graph">The network; every parameter of every layer must be set.</param>
    /// <param name="path">The .onnx file to write.</param>
    /// <param name="options">Export settings; null for <see cref="OnnxExportOptions.Default"/>.</param>
    /// <exception cref="ArgumentException">A parameter is not set, or an option is invalid.</exception>
    public static void ExportToFile(NetworkGraph graph, string path, OnnxExportOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        File.WriteAllBytes(path, Export(graph, options));
    }

    private static string ReadVersion()
    {
        Assembly assembly = typeof(OnnxExporter).Assembly;
        string? version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? assembly.GetName().Version?.ToString();
        if (string.IsNullOrEmpty(version)) return "0.0.0";
        int plus = version.IndexOf('+'); // the SDK appends "+<commit>"; the version alone is what matters to readers
        return plus >= 0 ? version[..plus] : version;
    }
}
