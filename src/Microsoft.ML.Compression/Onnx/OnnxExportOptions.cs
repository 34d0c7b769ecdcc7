namespace Microsoft.ML.Compression.Onnx;

/// <summary>Settings of an ONNX export. The defaults suit ML.NET's OnnxTransformer and ONNX Runtime 1.31.</summary>
public sealed record OnnxExportOptions
{
    /// <summary>The exporter's defaults.</summary>
    public static OnnxExportOptions Default { get; } = new();

    /// <summary>
    /// Name of the graph input, a float tensor [N, C*H*W]. ML.NET's OnnxTransformer binds inputs by name, so this must
    /// equal the IDataView column holding the flattened image. Default "Features".
    /// </summary>
    public string InputName { get; init; } = "Features";

    /// <summary>Written to producer_name and to the "producer" metadata entry. Default "Microsoft.ML.Compression".</summary>
    public string Producer { get; init; } = OnnxExporter.DefaultProducer;

    /// <summary>What produced the weights ("fp32", "int8-qdq", ...), written to the "method" metadata entry. Default "fp32".</summary>
    public string Method { get; init; } = "fp32";

    /// <summary>
    /// The ai.onnx opset to import, 13 to 26 (ONNX Runtime 1.31 reads up to 26). The IR version follows from it
    /// (7 for opset 13). Default 13.
    /// </summary>
    public int Opset { get; init; } = 13;

    /// <summary>
    /// Extra metadata_props entries (bits, sparsity, accuracy, ...). Written after the standard entries, sorted by key
    /// so the file does not depend on the dictionary's enumeration order. They may not reuse a key of
    /// <see cref="OnnxMetadataKeys"/>.
    /// </summary>
    public IDictionary<string, string>? Metadata { get; init; }
}
