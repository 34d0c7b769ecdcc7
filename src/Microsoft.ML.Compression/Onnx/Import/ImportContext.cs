using System.IO;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Onnx.Proto;

namespace Microsoft.ML.Compression.Onnx.Import;

/// <summary>
/// The state of one import as converters see it: what each ONNX tensor holds (a constant or an
/// <see cref="ActivationValue"/>), the IR layers created so far with their shapes, and helpers that read a node's
/// inputs and fail with messages naming the node.
/// </summary>
internal sealed class ImportContext
{
    private readonly IReadOnlyDictionary<string, TensorProto> _initializers;
    private readonly IReadOnlyDictionary<string, int> _consumers;
    private readonly Dictionary<string, ConstantTensor> _constants = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ActivationValue> _activations = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _uncomputed = new(StringComparer.Ordinal);
    private readonly List<Layer> _layers = new();
    private readonly Dictionary<string, int[]> _shapes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _layerOutput = new(StringComparer.Ordinal); // layer -> the ONNX tensor it wrote
    private bool _inputReadByLayer;
    private readonly Dictionary<string, string> _views = new(StringComparer.Ordinal); // IR tensor + view shape -> the layer holding it
    private int? _flatInputSize;

    /// <param name="opset">The ai.onnx opset of the model.</param>
    /// <param name="initializers">The graph's initializers by name, read when first used.</param>
    /// <param name="consumers">How many reads of each tensor the import makes (nodes it converts, and the output).</param>
    public ImportContext(int opset, IReadOnlyDictionary<string, TensorProto> initializers, IReadOnlyDictionary<string, int> consumers)
    {
        Opset = opset;
        _initializers = initializers;
        _consumers = consumers;
    }

    /// <summary>The ai.onnx opset of the model.</summary>
    public int Opset { get; }

    /// <summary>True when the graph input fixes the batch at 1, so shapes written in the file may spell the batch as 1.</summary>
    public bool BatchIsOne { get; set; }

    /// <summary>The image shape [C,H,W] of the IR input, once known (metadata, a 4-D graph input or the input's Reshape).</summary>
    public int[]? InputShape { get; private set; }

    /// <summary>The layers created so far, in topological order.</summary>
    public IReadOnlyList<Layer> Layers => _layers;

    /// <summary>Binds the graph input: an image [C,H,W], or a flat vector [C*H*W] whose image shape comes later.</summary>
    public void SetGraphInput(string tensor, int[] shape)
    {
        if (shape.Length == 1)
        {
            _flatInputSize = shape[0];
            if (InputShape is not null) SetInputShape(InputShape, "metadata_props"); // checks the known shape against the input's size
        }
        else SetInputShape(shape, $"graph input '{tensor}'");
        _activations[tensor] = new ActivationValue(NetworkGraph.InputName, shape);
    }

    /// <summary>Fixes the image shape of the IR input; throws when <paramref name="source"/> contradicts what is known.</summary>
    public void SetInputShape(int[] shape, string source)
    {
        if (shape.Length is < 1 or > 3 || shape.Any(d => d <= 0))
            throw new NotSupportedException($"The input shape {Layer.Format(shape)} from {source} does not have 1 to 3 positive sizes after the batch.");
        if (InputShape is not null && !InputShape.SequenceEqual(shape))
            throw new InvalidDataException($"{source} gives the image shape {Layer.Format(shape)}, but the model says {Layer.Format(InputShape)}.");
        if (_flatInputSize is int n && n != shape.Aggregate(1L, (a, d) => a * d))
            throw new InvalidDataException($"{source} gives the image shape {Layer.Format(shape)}, but the graph input has {n} values.");
        InputShape = (int[])shape.Clone();
    }

    /// <summary>
    /// Gives the network input another shape with the same values in the same order, before any layer reads it (a
    /// reshape of the graph input changes nothing of the feature column); false when a layer already reads the input.
    /// </summary>
    public bool TryReshapeInput(int[] shape, string source)
    {
        if (_inputReadByLayer || (InputShape ?? new[] { _flatInputSize ?? -1 }).Aggregate(1L, (a, d) => a * d) != shape.Aggregate(1L, (a, d) => a * d))
            return false;
        InputShape = null;
        SetInputShape(shape, source);
        return true;
    }

    /// <summary>True when <paramref name="tensor"/> is a constant (initializer, Constant node or folded result).</summary>
    public bool IsConstant(string tensor) => !_activations.ContainsKey(tensor) && (_constants.ContainsKey(tensor) || _initializers.ContainsKey(tensor));

    /// <summary>The constant held by <paramref name="tensor"/>, or null when it is not a constant.</summary>
    public ConstantTensor? TryConstant(string tensor)
    {
        if (_activations.ContainsKey(tensor)) return null;
        if (_constants.TryGetValue(tensor, out ConstantTensor? value)) return value;
        if (!_initializers.TryGetValue(tensor, out TensorProto? proto)) return null;
        value = TensorProtoReader.Read(proto, $"initializer '{tensor}'");
        _constants[tensor] = value;
        return value;
    }

    /// <summary>Binds <paramref name="tensor"/> to a folded constant.</summary>
    public void SetConstant(string tensor, ConstantTensor value) => _constants[tensor] = value;

    /// <summary>Input <paramref name="index"/> of <paramref name="node"/>, which must be a constant (weights, shapes).</summary>
    public ConstantTensor Constant(OnnxNode node, int index) =>
        OptionalConstant(node, index) ?? throw node.Invalid($"input {index} is required.");

    /// <summary>Input <paramref name="index"/> of <paramref name="node"/> when given (then it must be a constant), else null.</summary>
    public ConstantTensor? OptionalConstant(OnnxNode node, int index)
    {
        if (!node.HasInput(index)) return null;
        string tensor = node.Inputs[index];
        if (TryConstant(tensor) is ConstantTensor value) return value;
        if (_activations.ContainsKey(tensor))
            throw node.Unsupported($"input {index} ('{tensor}') is computed at run time; the importer needs it to be a constant.");
        throw Unknown(node, tensor);
    }

    /// <summary>Input <paramref name="index"/> when given: a constant 1-D integer tensor (axes, shapes, bounds); else null.</summary>
    public long[]? OptionalIntegers(OnnxNode node, int index) => ConstantInputs.IntegerVector(node, index, OptionalConstant(node, index));

    /// <summary>
    /// Input <paramref name="index"/> as a layer parameter: a FLOAT constant with exactly <paramref name="shape"/>'s
    /// element count (its own dims may differ, e.g. a [1,K] bias for [K]); the values are copied.
    /// </summary>
    public ParameterTensor Parameter(OnnxNode node, int index, int[] shape, string what)
    {
        ConstantTensor c = Constant(node, index);
        if (!c.IsFloat)
            throw node.Unsupported($"the {what} (input {index}) is {c}; only FLOAT parameters are supported.");
        if (c.Count != shape.Aggregate(1, (a, d) => a * d))
            throw node.Invalid($"the {what} (input {index}) is {c}, but the layer needs {Layer.Format(shape)}.");
        return new ParameterTensor(shape, (float[])c.Floats.Clone());
    }

    /// <summary>
    /// Input <paramref name="index"/> of <paramref name="node"/>, which must be computed at run time; a QuantizeLinear
    /// output only when <paramref name="allowQuantized"/>.
    /// </summary>
    public ActivationValue Activation(OnnxNode node, int index, bool allowQuantized = false)
    {
        if (!node.HasInput(index)) throw node.Invalid($"input {index} is required.");
        string tensor = node.Inputs[index];
        if (_activations.TryGetValue(tensor, out ActivationValue? value))
        {
            if (value.Quantized && !allowQuantized)
                throw node.Unsupported($"input {index} ('{tensor}') is the output of a QuantizeLinear; only DequantizeLinear may read quantized activations.");
            return value;
        }
        if (IsConstant(tensor))
            throw node.Unsupported($"input {index} ('{tensor}') is a constant; the importer supports {node.OpType} on run-time inputs only.");
        throw Unknown(node, tensor);
    }

    /// <summary>
    /// Input <paramref name="index"/> as the IR tensor a layer reads. A layer reading the flat graph input before any
    /// reshape of it fixes the network input to that flat vector.
    /// </summary>
    public string LayerInput(OnnxNode node, int index)
    {
        ActivationValue value = Activation(node, index);
        if (value.Tensor == NetworkGraph.InputName && InputShape is null && value.Shape.Length == 1)
            SetInputShape(value.Shape, node.Description);
        return Materialize(value, node.Inputs[index]);
    }

    /// <summary>
    /// The IR tensor holding <paramref name="value"/>: its own, or, for a view with another shape (what Reshape,
    /// Flatten, Squeeze and Unsqueeze leave), a <see cref="FlattenLayer"/> or <see cref="ReshapeLayer"/> added on first
    /// use and shared by later readers, so chains of views become at most one layer.
    /// </summary>
    public string Materialize(ActivationValue value, string stem)
    {
        if (value.Shape.SequenceEqual(ShapeOf(value.Tensor))) return value.Tensor;
        string key = value.Tensor + Layer.Format(value.Shape);
        if (_views.TryGetValue(key, out string? existing)) return existing;
        string name = UniqueLayerName(stem);
        Layer layer = value.Shape.Length == 1 ? new FlattenLayer(name, value.Tensor) : new ReshapeLayer(name, value.Tensor, value.Shape);
        Register(layer, layer.InferShape(new[] { ShapeOf(value.Tensor) })); // a view holds the values, so its shape fits
        _views[key] = name;
        return name;
    }

    /// <summary>True when the shape of the IR tensor is known (a layer's output, or the input once its shape is fixed).</summary>
    public bool IsShapeKnown(string irTensor) => _shapes.ContainsKey(irTensor) || (irTensor == NetworkGraph.InputName && InputShape is not null);

    /// <summary>The shape (without batch) of an IR tensor: a layer's output or the image.</summary>
    public int[] ShapeOf(string irTensor)
    {
        if (_shapes.TryGetValue(irTensor, out int[]? shape)) return shape;
        if (irTensor == NetworkGraph.InputName)
            return InputShape ?? throw new NotSupportedException(
                "The image shape is unknown: the model has no input_shape metadata, a flat graph input and no Reshape of it to [N,C,H,W].");
        throw new InvalidOperationException($"No IR tensor named '{irTensor}'.");
    }

    /// <summary>Binds output <paramref name="index"/> of <paramref name="node"/> to <paramref name="value"/>.</summary>
    public void SetOutput(OnnxNode node, int index, ActivationValue value)
    {
        if (index >= node.Outputs.Count || node.Outputs[index].Length == 0) throw node.Invalid($"output {index} is required.");
        _activations[node.Outputs[index]] = value;
    }

    /// <summary>
    /// Adds the layer <paramref name="create"/> makes from a unique name derived from the node's name, infers its shape
    /// and binds the node's first output to it. Argument errors of the layer's constructor become
    /// <see cref="NotSupportedException"/>s naming the node.
    /// </summary>
    public ActivationValue AddLayer(OnnxNode node, Func<string, Layer> create)
    {
        Layer layer;
        try
        {
            layer = create(UniqueLayerName(node));
        }
        catch (ArgumentException e)
        {
            throw node.Unsupported(e.Message);
        }
        ActivationValue value = Append(node, layer);
        SetOutput(node, 0, value);
        _layerOutput[layer.Name] = node.Outputs[0];
        return value;
    }

    /// <summary>
    /// The layer whose output input <paramref name="index"/> of <paramref name="node"/> is, when nothing else the
    /// import converts reads it (so the layer may be merged into this node's); otherwise null.
    /// </summary>
    public Layer? SoleReaderOf(OnnxNode node, int index)
    {
        if (!node.HasInput(index)) return null;
        string tensor = node.Inputs[index];
        if (_consumers.GetValueOrDefault(tensor) != 1 || !_activations.TryGetValue(tensor, out ActivationValue? value)) return null;
        return _layerOutput.GetValueOrDefault(value.Tensor) == tensor ? _layers.FirstOrDefault(l => l.Name == value.Tensor) : null;
    }

    /// <summary>
    /// Replaces <paramref name="old"/> (see <see cref="SoleReaderOf"/>) by <paramref name="replacement"/> of the same
    /// name, which may read later layers: it moves to the end, which keeps the order topological since only
    /// <paramref name="node"/> reads it. Binds the node's first output to it.
    /// </summary>
    public ActivationValue ReplaceLayer(OnnxNode node, Layer old, Layer replacement)
    {
        if (replacement.Name != old.Name) throw new ArgumentException("A replacement layer keeps the old name.", nameof(replacement));
        _layers.Remove(old);
        _shapes.Remove(old.Name);
        ActivationValue value = Append(node, replacement);
        SetOutput(node, 0, value);
        _layerOutput[replacement.Name] = node.Outputs[0];
        return value;
    }

    /// <summary>After <paramref name="node"/> ran: its outputs left unbound make later readers fail naming it.</summary>
    public void MarkUncomputedOutputs(OnnxNode node)
    {
        for (int i = 0; i < node.Outputs.Count; i++)
        {
            string output = node.Outputs[i];
            if (output.Length > 0 && !_activations.ContainsKey(output) && !_constants.ContainsKey(output))
                _uncomputed[output] = $"output {i} of {node.Description}";
        }
    }

    /// <summary>True when a node the import converts (or the logits) reads <paramref name="tensor"/>.</summary>
    public bool IsRead(string tensor) => _consumers.GetValueOrDefault(tensor) > 0;

    /// <summary>The value of a run-time tensor, or null.</summary>
    public ActivationValue? TryActivation(string tensor) => _activations.GetValueOrDefault(tensor);

    private ActivationValue Append(OnnxNode node, Layer layer)
    {
        int[] shape;
        try
        {
            shape = layer.InferShape(layer.Inputs.Select(ShapeOf).ToArray());
        }
        catch (InvalidOperationException e)
        {
            throw node.Invalid(e.Message);
        }
        Register(layer, shape);
        return new ActivationValue(layer.Name, shape);
    }

    private void Register(Layer layer, int[] shape)
    {
        _layers.Add(layer);
        _shapes[layer.Name] = shape;
        _inputReadByLayer |= layer.Inputs.Contains(NetworkGraph.InputName);
    }

    private string UniqueLayerName(OnnxNode node) => UniqueLayerName(LayerStem(node));

    /// <summary>The name a layer made from <paramref name="node"/> starts from: the node's name, else its first output.</summary>
    public static string LayerStem(OnnxNode node) =>
        node.HasName ? node.Name : node.Outputs.FirstOrDefault(o => o.Length > 0) ?? node.OpType.ToLowerInvariant();

    private string UniqueLayerName(string stem)
    {
        string name = stem;
        for (int i = 1; name == NetworkGraph.InputName || _shapes.ContainsKey(name); i++)
            name = $"{stem}_{i}";
        return name;
    }

    private Exception Unknown(OnnxNode node, string tensor) => _uncomputed.TryGetValue(tensor, out string? source)
        ? node.Unsupported($"it reads '{tensor}', {source}, which the importer does not compute.")
        : node.Invalid($"it reads '{tensor}', which is not a graph input, an initializer or an output of an earlier node.");
}
