using System;
using System.IO;
using System.Reflection;
using Google.Protobuf;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Quantization;
using Microsoft.ML.Compression.Quantization.LowBit;

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
    /// Exports <paramref name="graph"/>, whose parameters must all be set, as ONNX bytes.
    /// </summary>
    /// <param name="graph">The network; every parameter of every layer must be set.</param>
    /// <param name="options">Export settings; null for <see cref="OnnxExportOptions.Default"/>.</param>
    /// <exception cref="ArgumentException">A parameter is not set (the message names the layer and parameter), or an option is invalid.</exception>
    /// <exception cref="NotSupportedException">The graph holds a layer type the exporter does not know.</exception>
    public static byte[] Export(NetworkGraph graph, OnnxExportOptions? options = null) =>
        new OnnxNetworkWriter().Write(graph, options ?? OnnxExportOptions.Default).ToByteArray();

    /// <summary>
    /// Exports an int8 model as standard QDQ ONNX (int8 weights and int32 biases behind DequantizeLinear,
    /// QuantizeLinear/DequantizeLinear on activations) that ONNX Runtime runs with integer kernels. The options'
    /// method defaults to "int8-qdq"; metadata_props also record the bit widths and the quantized layers.
    /// </summary>
    /// <param name="network">The quantized network.</param>
    /// <param name="options">Export settings; null for the defaults with method "int8-qdq".</param>
    public static byte[] Export(QuantizedNetwork network, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        options ??= OnnxExportOptions.Default with { Method = "int8-qdq" };
        return new QdqNetworkWriter(network).Write(network.Graph, options).ToByteArray();
    }

    /// <summary>
    /// Exports a network with 1-, 2- or 4-bit weights, stored at their bit width in standard ONNX (INT4 at opset 21,
    /// INT2 at opset 25, 1-bit packed eight to a byte and unpacked with BitShift/BitwiseAnd at opset 18). The options'
    /// opset defaults to the lowest that bit width needs and method to "w{bits}" (plus "a8" with quantized activations).
    /// </summary>
    /// <param name="network">The low-bit network.</param>
    /// <param name="options">Export settings; null for the defaults above.</param>
    /// <exception cref="ArgumentOutOfRangeException">The options' opset is too low for the bit width.</exception>
    public static byte[] Export(LowBitNetwork network, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        int minimum = LowBitNetworkWriter.MinimumOpset(network.WeightBits);
        options ??= OnnxExportOptions.Default with { Opset = minimum, Method = DefaultMethod(network) };
        if (options.Opset < minimum)
            throw new ArgumentOutOfRangeException(nameof(options), options.Opset,
                $"OnnxExportOptions.Opset must be at least {minimum} for {network.WeightBits}-bit weights.");
        return new LowBitNetworkWriter(network).Write(network.Graph, options).ToByteArray();
    }

    /// <summary>"w{bits}", plus "a8" when activations are quantized: the method name of a low-bit export.</summary>
    public static string DefaultMethod(LowBitNetwork network) =>
        $"w{network.WeightBits}" + (network.ActivationBits == 8 ? "a8" : "");

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
