using System.Globalization;
using Microsoft.ML.Compression.Compressed;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Quantization;
using Microsoft.ML.Compression.Onnx.Proto;
using DataType = Microsoft.ML.Compression.Onnx.Proto.TensorProto.Types.DataType;

namespace Microsoft.ML.Compression.Onnx;

/// <summary>
/// Writes a <see cref="CompressedNetwork"/> as an ONNX model. Each layer writes its own nodes
/// (<see cref="Layer.WriteOnnx"/>); each encoded layer's weights are written by their encoding
/// (<see cref="WeightEncoding.WriteWeight"/>), and each quantized activation gets its QuantizeLinear/DequantizeLinear
/// pair (<see cref="ActivationQdqWriter"/>). An fp32 network is a description without encodings.
/// A writer builds one model: create a new one per export.
/// </summary>
internal sealed class OnnxNetworkWriter
{
    private readonly CompressedNetwork _network;
    private readonly Dictionary<string, string> _tensors = new(StringComparer.Ordinal);
    private OnnxGraphBuilder _builder = null!;
    private ActivationQdqWriter? _activations;
    private bool _used;

    public OnnxNetworkWriter(CompressedNetwork network) => _network = network;

    /// <summary>Writes the network with <paramref name="options"/>.</summary>
    public ModelProto Write(OnnxExportOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (_used) throw new InvalidOperationException("An OnnxNetworkWriter writes one model; create a new one.");
        _used = true;
        NetworkGraph graph = _network.Graph;
        Validate(options);
        _builder = new OnnxGraphBuilder(graph.Name);
        OnnxGraphBuilder b = _builder;
        if (_network.Activations.Count > 0)
            _activations = new ActivationQdqWriter(b, _network.ActivationOf,
                name => name != NetworkGraph.InputName && graph[name] is { IntegerKernelIsSlow: true, KeepsInputGrid: false });

        // Fixed names first, so no layer or initializer can take them.
        // An imported network keeps the original file's input (batch dimension and layout); others read [N, features].
        InputContract? contract = graph.InputContract;
        OnnxDim batch = contract is null ? OnnxGraphBuilder.BatchDimension
            : contract.HasFixedBatch ? OnnxDim.Fixed(long.Parse(contract.Batch, CultureInfo.InvariantCulture)) : OnnxDim.Symbolic(contract.Batch);
        int[] inputDims = contract?.Dimensions.ToArray() ?? new[] { graph.InputSize };
        b.AddInput(options.InputName, DataType.Float, inputDims.Select(d => (OnnxDim)d).Prepend(batch).ToArray());
        b.Reserve(OnnxExporter.LogitsOutput);
        b.Reserve(OnnxExporter.ScoreOutput);
        b.Reserve(OnnxExporter.PredictedLabelOutput);

        // The layers want the network's input shape (NCHW for images), which may differ from the declared input's.
        int[] s = graph.InputShape;
        string image = options.InputName;
        if (!s.SequenceEqual(inputDims))
        {
            string shape = b.AddInitializer(OnnxTensors.Int64Vector("input_shape", s.Select(d => (long)d).Prepend(-1L).ToArray()));
            image = b.AddNode("Reshape", new[] { options.InputName, shape }, "input_nchw");
        }
        _tensors[NetworkGraph.InputName] = Quantized(NetworkGraph.InputName, image);

        foreach (Layer layer in graph.Layers)
        {
            bool isOutput = ReferenceEquals(layer, graph.OutputLayer);
            string[] inputs = layer.Inputs.Select(i => _tensors[i]).ToArray();
            string output = layer.WriteOnnx(new OnnxLayerContext(b, layer, inputs, isOutput, ParameterTensor));
            // A layer that writes no node (dropout) hands its input on, which already has its Q/DQ pair.
            _tensors[layer.Name] = isOutput || output == inputs[0] ? output : Quantized(layer.Name, output);
        }

        string logits = _tensors[graph.OutputLayer.Name];
        if (logits != OnnxExporter.LogitsOutput) // the last layer was an identity (dropout)
            b.AddNode("Identity", new[] { logits }, new[] { OnnxExporter.LogitsOutput }, "logits");
        b.AddNode("Softmax", new[] { OnnxExporter.LogitsOutput }, new[] { OnnxExporter.ScoreOutput }, "score",
            OnnxAttributes.Int("axis", 1));
        b.AddNode("ArgMax", new[] { OnnxExporter.LogitsOutput }, new[] { OnnxExporter.PredictedLabelOutput }, "predicted_label",
            OnnxAttributes.Int("axis", 1), OnnxAttributes.Int("keepdims", 0));

        int k = graph.ClassCount;
        b.AddOutput(OnnxExporter.LogitsOutput, DataType.Float, batch, k);
        b.AddOutput(OnnxExporter.ScoreOutput, DataType.Float, batch, k);
        b.AddOutput(OnnxExporter.PredictedLabelOutput, DataType.Int64, batch);

        string version = OnnxExporter.ProducerVersion;
        b.SetMetadata(OnnxMetadataKeys.Producer, options.Producer);
        b.SetMetadata(OnnxMetadataKeys.ProducerVersion, version);
        b.SetMetadata(OnnxMetadataKeys.Network, graph.Name);
        b.SetMetadata(OnnxMetadataKeys.Method, options.Method);
        b.SetMetadata(OnnxMetadataKeys.ParameterCount, graph.ParameterCount.ToString(CultureInfo.InvariantCulture));
        b.SetMetadata(OnnxMetadataKeys.InputShape, string.Join(",", s.Select(d => d.ToString(CultureInfo.InvariantCulture))));
        b.SetMetadata(OnnxMetadataKeys.InputName, options.InputName);
        b.SetMetadata(OnnxMetadataKeys.ClassCount, k.ToString(CultureInfo.InvariantCulture));
        if (!_network.IsFloat)
        {
            var bits = _network.WeightBitWidths;
            b.SetMetadata(OnnxMetadataKeys.WeightBits, bits.Count == 0 ? "32" : string.Join(",", bits.Select(x => x.ToString(CultureInfo.InvariantCulture))));
            b.SetMetadata(OnnxMetadataKeys.ActivationBits, _network.ActivationBits.ToString(CultureInfo.InvariantCulture));
            b.SetMetadata(OnnxMetadataKeys.QuantizedLayers, string.Join(",", graph.Layers.Select(l => l.Name).Where(_network.Weights.ContainsKey)));
        }
        if (options.Metadata is not null)
            foreach (var (key, value) in options.Metadata.OrderBy(e => e.Key, StringComparer.Ordinal))
                b.SetMetadata(key, value);

        return b.ToModel(options.Opset, options.Producer, version, $"{graph.Name} ({options.Method}) exported by Microsoft.ML.Compression");
    }

    /// <summary>
    /// The tensor a layer reads for one of its parameters: the encoding's decoding nodes for encoded weights (and an
    /// int32 bias where the encoding feeds an integer kernel), otherwise a float initializer.
    /// </summary>
    private string ParameterTensor(OnnxLayerContext onnx, string parameter)
    {
        Layer layer = onnx.Layer;
        ParameterTensor value = layer.Parameters[parameter];
        if (_network.EncodingOf(layer.Name) is WeightEncoding encoding)
        {
            if (parameter == "weight") return encoding.WriteWeight(onnx, _network.ActivationOf(layer.Inputs[0]));
            if (parameter == "bias" && _network.ActivationOf(layer.Inputs[0]) is QuantParams input
                && encoding.WriteBias(onnx, value.Data, input) is string bias)
                return bias;
        }
        return _builder.AddFloat($"{layer.Name}.{parameter}", OnnxTensors.Dims(value.Shape), value.Data);
    }

    /// <summary>The tensor consumers of <paramref name="name"/> read: <paramref name="tensor"/>, or its Q/DQ pair when it is quantized.</summary>
    private string Quantized(string name, string tensor) => _activations?.Write(name, tensor) ?? tensor;

    private void Validate(OnnxExportOptions options)
    {
        if (options.Opset < _network.MinimumOpset)
            throw new ArgumentOutOfRangeException(nameof(options), options.Opset,
                $"OnnxExportOptions.Opset must be at least {_network.MinimumOpset} for {string.Join(", ", _network.WeightBitWidths)}-bit weights.");
        if (string.IsNullOrWhiteSpace(options.InputName))
            throw new ArgumentException("OnnxExportOptions.InputName must not be empty.", nameof(options));
        if (options.InputName is OnnxExporter.LogitsOutput or OnnxExporter.ScoreOutput or OnnxExporter.PredictedLabelOutput)
            throw new ArgumentException($"OnnxExportOptions.InputName '{options.InputName}' collides with an output name.", nameof(options));
        if (options.Opset is < 13 or > 26)
            throw new ArgumentOutOfRangeException(nameof(options), options.Opset, "OnnxExportOptions.Opset must be between 13 and 26.");
        ArgumentNullException.ThrowIfNull(options.Producer, nameof(options.Producer));
        ArgumentNullException.ThrowIfNull(options.Method, nameof(options.Method));
        if (options.Metadata is not null)
            foreach (var (key, value) in options.Metadata)
            {
                if (string.IsNullOrEmpty(key) || value is null)
                    throw new ArgumentException("OnnxExportOptions.Metadata needs non-empty keys and non-null values.", nameof(options));
                if (OnnxMetadataKeys.IsReserved(key))
                    throw new ArgumentException($"OnnxExportOptions.Metadata may not set '{key}': the exporter writes that entry (use the matching option).", nameof(options));
            }
    }
}
