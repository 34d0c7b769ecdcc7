using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Onnx.Proto;
using DataType = Microsoft.ML.Compression.Onnx.Proto.TensorProto.Types.DataType;

namespace Microsoft.ML.Compression.Onnx;

/// <summary>
/// Translates a <see cref="NetworkGraph"/> into an ONNX model, layer by layer. The fp32 export uses it as is;
/// quantized exporters derive from it and override <see cref="WeightInput"/> (e.g. int8 weights behind
/// DequantizeLinear) and <see cref="ActivationOutput"/> (e.g. QuantizeLinear/DequantizeLinear after a layer).
/// A writer builds one model: create a new one per export.
/// </summary>
internal class OnnxNetworkWriter
{
    private readonly Dictionary<string, string> _tensors = new(StringComparer.Ordinal);
    private string? _clipMin, _clipMax;
    private bool _used;

    /// <summary>The builder of the model being written (valid inside the hooks).</summary>
    protected OnnxGraphBuilder Builder { get; private set; } = null!;

    /// <summary>The network being written (valid inside the hooks).</summary>
    protected NetworkGraph Network { get; private set; } = null!;

    /// <summary>Writes <paramref name="graph"/>; throws <see cref="ArgumentException"/> naming the layer and parameter when one is not set.</summary>
    public ModelProto Write(NetworkGraph graph, OnnxExportOptions options)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(options);
        if (_used) throw new InvalidOperationException("An OnnxNetworkWriter writes one model; create a new one.");
        _used = true;
        Validate(graph, options);
        Network = graph;
        Builder = new OnnxGraphBuilder(graph.Name);
        OnnxGraphBuilder b = Builder;

        // Fixed names first, so no layer or initializer can take them.
        b.AddInput(options.InputName, DataType.Float, OnnxGraphBuilder.BatchDimension, graph.InputSize);
        b.Reserve(OnnxExporter.LogitsOutput);
        b.Reserve(OnnxExporter.ScoreOutput);
        b.Reserve(OnnxExporter.PredictedLabelOutput);

        // ML.NET hands images over as flat vectors; the layers want NCHW.
        int[] s = graph.InputShape;
        string shape = b.AddInitializer(OnnxTensors.Int64Vector("input_shape", -1, s[0], s[1], s[2]));
        string image = b.AddNode("Reshape", new[] { options.InputName, shape }, "input_nchw");
        _tensors[NetworkGraph.InputName] = ActivationOutput(null, image);

        foreach (Layer layer in graph.Layers)
        {
            bool isOutput = ReferenceEquals(layer, graph.OutputLayer);
            string output = WriteLayer(layer, layer.Inputs.Select(i => _tensors[i]).ToArray(), isOutput);
            _tensors[layer.Name] = isOutput ? output : ActivationOutput(layer, output);
        }

        string logits = _tensors[graph.OutputLayer.Name];
        if (logits != OnnxExporter.LogitsOutput) // the last layer was an identity (dropout)
            b.AddNode("Identity", new[] { logits }, new[] { OnnxExporter.LogitsOutput }, "logits");
        b.AddNode("Softmax", new[] { OnnxExporter.LogitsOutput }, new[] { OnnxExporter.ScoreOutput }, "score",
            OnnxAttributes.Int("axis", 1));
        b.AddNode("ArgMax", new[] { OnnxExporter.LogitsOutput }, new[] { OnnxExporter.PredictedLabelOutput }, "predicted_label",
            OnnxAttributes.Int("axis", 1), OnnxAttributes.Int("keepdims", 0));

        int k = graph.ClassCount;
        b.AddOutput(OnnxExporter.LogitsOutput, DataType.Float, OnnxGraphBuilder.BatchDimension, k);
        b.AddOutput(OnnxExporter.ScoreOutput, DataType.Float, OnnxGraphBuilder.BatchDimension, k);
        b.AddOutput(OnnxExporter.PredictedLabelOutput, DataType.Int64, OnnxGraphBuilder.BatchDimension);

        string version = OnnxExporter.ProducerVersion;
        b.SetMetadata(OnnxMetadataKeys.Producer, options.Producer);
        b.SetMetadata(OnnxMetadataKeys.ProducerVersion, version);
        b.SetMetadata(OnnxMetadataKeys.Network, graph.Name);
        b.SetMetadata(OnnxMetadataKeys.Method, options.Method);
        b.SetMetadata(OnnxMetadataKeys.ParameterCount, graph.ParameterCount.ToString(CultureInfo.InvariantCulture));
        b.SetMetadata(OnnxMetadataKeys.InputShape, string.Join(",", s.Select(d => d.ToString(CultureInfo.InvariantCulture))));
        b.SetMetadata(OnnxMetadataKeys.InputName, options.InputName);
        b.SetMetadata(OnnxMetadataKeys.ClassCount, k.ToString(CultureInfo.InvariantCulture));
        AddMetadata(b);
        if (options.Metadata is not null)
            foreach (var (key, value) in options.Metadata.OrderBy(e => e.Key, StringComparer.Ordinal))
                b.SetMetadata(key, value);

        return b.ToModel(options.Opset, options.Producer, version, $"{graph.Name} ({options.Method}) exported by Microsoft.ML.Compression");
    }

    /// <summary>
    /// The tensor a layer reads for one of its parameters. The default stores the float values as an initializer;
    /// quantized writers return the output of a DequantizeLinear instead.
    /// </summary>
    protected virtual string WeightInput(Layer layer, string parameterName, ParameterTensor value) =>
        Builder.AddFloat($"{layer.Name}.{parameterName}", OnnxTensors.Dims(value.Shape), value.Data);

    /// <summary>
    /// Called with each layer's output (and with the reshaped image, <paramref name="layer"/> null) except the logits;
    /// returns the tensor the consumers read. The default returns <paramref name="tensor"/> unchanged.
    /// </summary>
    protected virtual string ActivationOutput(Layer? layer, string tensor) => tensor;

    /// <summary>Adds writer-specific metadata_props entries (the defaults are already set).</summary>
    protected virtual void AddMetadata(OnnxGraphBuilder builder) { }

    private string WriteLayer(Layer layer, string[] inputs, bool isOutput)
    {
        OnnxGraphBuilder b = Builder;
        // The logits layer writes the graph output directly; every other layer a tensor named after it.
        string Out() => isOutput ? OnnxExporter.LogitsOutput : b.UniqueName(layer.Name);
        string Node(string op, string[] ins, params AttributeProto[] attributes)
        {
            string output = Out();
            b.AddNode(op, ins, new[] { output }, layer.Name, attributes);
            return output;
        }
        string Param(string name) => WeightInput(layer, name, layer.Parameters[name]);

        switch (layer)
        {
            case Conv2dLayer c:
            {
                var ins = new List<string> { inputs[0], Param("weight") };
                if (c.HasBias) ins.Add(Param("bias"));
                return Node("Conv", ins.ToArray(),
                    OnnxAttributes.Ints("kernel_shape", c.KernelSize, c.KernelSize),
                    OnnxAttributes.Ints("strides", c.Stride, c.Stride),
                    OnnxAttributes.Ints("pads", c.Padding, c.Padding, c.Padding, c.Padding),
                    OnnxAttributes.Ints("dilations", 1, 1),
                    OnnxAttributes.Int("group", c.Groups));
            }
            case BatchNorm2dLayer bn:
                // Inference form: scale, bias, running mean and variance as inputs; one output.
                return Node("BatchNormalization",
                    new[] { inputs[0], Param("weight"), Param("bias"), Param("running_mean"), Param("running_var") },
                    OnnxAttributes.Float("epsilon", (float)bn.Epsilon));
            case LinearLayer fc:
            {
                var ins = new List<string> { inputs[0], Param("weight") };
                if (fc.HasBias) ins.Add(Param("bias"));
                // Gemm with transB reads PyTorch's [out, in] weight as is (and ORT keeps per-channel DQ exact on it).
                return Node("Gemm", ins.ToArray(),
                    OnnxAttributes.Float("alpha", 1f), OnnxAttributes.Float("beta", 1f),
                    OnnxAttributes.Int("transA", 0), OnnxAttributes.Int("transB", 1));
            }
            case ReLULayer:
                return Node("Relu", inputs);
            case ReLU6Layer:
                // Since opset 11 Clip takes its bounds as (scalar) inputs; one shared pair serves every ReLU6.
                _clipMin ??= b.AddInitializer(OnnxTensors.FloatScalar("relu6_min", 0f));
                _clipMax ??= b.AddInitializer(OnnxTensors.FloatScalar("relu6_max", 6f));
                return Node("Clip", new[] { inputs[0], _clipMin, _clipMax });
            case MaxPool2dLayer mp:
                return Node("MaxPool", inputs, PoolAttributes(mp).ToArray());
            case AvgPool2dLayer ap:
                // Padded zeros are not part of the average, as in the IR.
                return Node("AveragePool", inputs, PoolAttributes(ap).Append(OnnxAttributes.Int("count_include_pad", 0)).ToArray());
            case GlobalAvgPoolLayer:
                return Node("GlobalAveragePool", inputs);
            case FlattenLayer:
                return Node("Flatten", inputs, OnnxAttributes.Int("axis", 1));
            case DropoutLayer:
                return inputs[0]; // identity at inference: consumers read the input
            case AddLayer:
            {
                // A left-to-right chain of binary Adds: the same summation order as the IR, and ORT fuses Add
                // patterns (Conv+Add, QDQ Add) that it does not fuse for Sum.
                string sum = inputs[0];
                for (int i = 1; i < inputs.Length; i++)
                {
                    string output = i == inputs.Length - 1 ? Out() : b.UniqueName($"{layer.Name}_partial{i}");
                    b.AddNode("Add", new[] { sum, inputs[i] }, new[] { output }, layer.Name);
                    sum = output;
                }
                return sum;
            }
            case ConcatLayer:
                return Node("Concat", inputs, OnnxAttributes.Int("axis", 1)); // axis 0 of the IR is axis 1 after the batch
            default:
                throw new NotSupportedException($"Layer '{layer.Name}' ({layer.Kind}, {layer.GetType().Name}) cannot be exported to ONNX.");
        }
    }

    private static IEnumerable<AttributeProto> PoolAttributes(WindowPoolLayer p)
    {
        yield return OnnxAttributes.Ints("kernel_shape", p.KernelSize, p.KernelSize);
        yield return OnnxAttributes.Ints("strides", p.Stride, p.Stride);
        yield return OnnxAttributes.Ints("pads", p.Padding, p.Padding, p.Padding, p.Padding);
        yield return OnnxAttributes.Int("ceil_mode", 0); // the IR rounds window counts down
    }

    private static void Validate(NetworkGraph graph, OnnxExportOptions options)
    {
        foreach (Layer layer in graph.Layers)
            foreach (string p in layer.ParameterNames)
                if (!layer.Parameters.ContainsKey(p))
                    throw new ArgumentException(
                        $"Cannot export network '{graph.Name}' to ONNX: parameter '{p}' of layer '{layer.Name}' ({layer.Kind}) is not set. Train the network or set its parameters first.",
                        nameof(graph));
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
