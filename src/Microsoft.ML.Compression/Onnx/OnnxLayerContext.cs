using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Onnx.Proto;

namespace Microsoft.ML.Compression.Onnx;

/// <summary>
/// What a layer needs to write itself into an ONNX model (<see cref="Layer.WriteOnnx"/>): the tensors it reads, its
/// parameters as the model stores them, and node factories that name outputs after the layer.
/// </summary>
internal sealed class OnnxLayerContext
{
    private readonly OnnxGraphBuilder _builder;
    private readonly Func<OnnxLayerContext, string, string> _parameter;
    private readonly bool _isOutput;

    public OnnxLayerContext(OnnxGraphBuilder builder, Layer layer, IReadOnlyList<string> inputs, bool isOutput,
        Func<OnnxLayerContext, string, string> parameter)
    {
        _builder = builder;
        Layer = layer;
        Inputs = inputs;
        _isOutput = isOutput;
        _parameter = parameter;
    }

    /// <summary>The layer being written.</summary>
    public Layer Layer { get; }

    /// <summary>The tensors the layer reads, in the order of <see cref="Graph.Layer.Inputs"/>.</summary>
    public IReadOnlyList<string> Inputs { get; }

    /// <summary>The tensor holding one of the layer's parameters as the model stores it (float, or decoded from integers).</summary>
    public string Parameter(string name) => _parameter(this, name);

    /// <summary>
    /// The layer's input followed by its parameters in <see cref="Graph.Layer.ParameterNames"/> order: the inputs of
    /// the ONNX operators whose parameters follow the data in PyTorch's order (Conv, Gemm, BatchNormalization).
    /// </summary>
    public IReadOnlyList<string> InputAndParameters() => Layer.ParameterNames.Select(Parameter).Prepend(Inputs[0]).ToArray();

    /// <summary>The model being written, for layers and encodings that need more than one node.</summary>
    public OnnxGraphBuilder Builder => _builder;

    /// <summary>Writes the node producing the layer's output (the logits for the last layer) and returns its name.</summary>
    public string Node(string opType, IReadOnlyList<string> inputs, params AttributeProto[] attributes)
    {
        string output = _isOutput ? OnnxExporter.LogitsOutput : _builder.UniqueName(Layer.Name);
        // The first node of a layer carries its name (an import names the layer after it); a last node after
        // intermediate ones gets a name no other layer's first node can take, so a re-import keeps every name.
        _builder.AddNode(opType, inputs, new[] { output }, _intermediates ? $"{Layer.Name}/{opType}" : Layer.Name, attributes);
        return output;
    }

    private bool _intermediates;

    /// <summary>Writes a node on the way to the layer's output, its tensor named "{layer}_{suffix}".</summary>
    public string Intermediate(string opType, IReadOnlyList<string> inputs, string suffix, params AttributeProto[] attributes)
    {
        string output = _builder.UniqueName($"{Layer.Name}_{suffix}");
        _builder.AddNode(opType, inputs, new[] { output }, Layer.Name, attributes);
        _intermediates = true;
        return output;
    }

    /// <summary>An initializer shared by every layer of the model that asks for <paramref name="key"/> (created on first use).</summary>
    public string SharedConstant(string key, Func<TensorProto> create) => _builder.Shared(key, () => _builder.AddInitializer(create()));
}
