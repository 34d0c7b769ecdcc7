namespace Microsoft.ML.Compression.Onnx;

/// <summary>
/// Keys of the metadata_props entries every exported model carries. ML.NET reloads a saved model as a plain
/// OnnxTransformer, so these entries are where the facts about the model survive.
/// </summary>
public static class OnnxMetadataKeys
{
    /// <summary>The library (or tool) that wrote the model.</summary>
    public const string Producer = "producer";

    /// <summary>The library version that wrote the model.</summary>
    public const string ProducerVersion = "producer_version";

    /// <summary>Name of the network (e.g. "lenet5").</summary>
    public const string Network = "network";

    /// <summary>The compression method ("fp32", "int8-qdq", ...).</summary>
    public const string Method = "method";

    /// <summary>Number of weights and biases (BatchNorm running statistics excluded), invariant culture.</summary>
    public const string ParameterCount = "parameter_count";

    /// <summary>The image shape before flattening, "C,H,W".</summary>
    public const string InputShape = "input_shape";

    /// <summary>Name of the graph input.</summary>
    public const string InputName = "input_name";

    /// <summary>Number of classes (width of the Logits and Score outputs).</summary>
    public const string ClassCount = "class_count";

    /// <summary>Bits of the quantized weights (quantized models only).</summary>
    public const string WeightBits = "weight_bits";

    /// <summary>Bits of the quantized activations (quantized models only).</summary>
    public const string ActivationBits = "activation_bits";

    /// <summary>Comma-separated names of the layers whose weights are quantized (quantized models only).</summary>
    public const string QuantizedLayers = "quantized_layers";

    /// <summary>True when <paramref name="key"/> is one of the keys above, which the exporter writes itself.</summary>
    public static bool IsReserved(string key) => key is Producer or ProducerVersion or Network or Method or ParameterCount or InputShape or InputName or ClassCount
        or WeightBits or ActivationBits or QuantizedLayers;
}
