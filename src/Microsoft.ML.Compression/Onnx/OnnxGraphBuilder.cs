using System.Globalization;
using Microsoft.ML.Compression.Onnx.Proto;
using DataType = Microsoft.ML.Compression.Onnx.Proto.TensorProto.Types.DataType;

namespace Microsoft.ML.Compression.Onnx;

/// <summary>
/// Assembles one ONNX model: initializers, nodes, typed inputs and outputs, metadata and the opset import.
/// Every tensor name (inputs, initializers, node outputs) goes through one registry so names stay unique, which
/// ONNX requires; the order of calls is the order in the file, so the same calls always give the same bytes.
/// </summary>
internal sealed class OnnxGraphBuilder
{
    /// <summary>The symbolic batch dimension of graph inputs and outputs.</summary>
    public const string BatchDimension = "N";

    private readonly HashSet<string> _tensorNames = new(StringComparer.Ordinal);
    private readonly HashSet<string> _nodeNames = new(StringComparer.Ordinal);
    private readonly List<StringStringEntryProto> _metadata = new();
    private readonly Dictionary<string, string> _shared = new(StringComparer.Ordinal);
    private int _shortNames;

    /// <summary>Starts an empty graph called <paramref name="graphName"/>.</summary>
    public OnnxGraphBuilder(string graphName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(graphName);
        Graph = new GraphProto { Name = graphName };
    }

    /// <summary>The graph built so far.</summary>
    public GraphProto Graph { get; }

    /// <summary>True when <paramref name="name"/> is already used by a tensor.</summary>
    public bool IsTaken(string name) => _tensorNames.Contains(name);

    /// <summary>Claims exactly <paramref name="name"/> (graph inputs and outputs have fixed names); throws if taken.</summary>
    public string Reserve(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (!_tensorNames.Add(name))
            throw new InvalidOperationException($"The ONNX graph '{Graph.Name}' already has a tensor named '{name}'.");
        return name;
    }

    /// <summary>Claims <paramref name="prefix"/> if free, otherwise the first free <c>prefix_1</c>, <c>prefix_2</c>, ...</summary>
    public string UniqueName(string prefix)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(prefix);
        string name = prefix;
        for (int i = 1; !_tensorNames.Add(name); i++)
            name = prefix + "_" + i.ToString(CultureInfo.InvariantCulture);
        return name;
    }

    /// <summary>
    /// A free tensor name "{letter}{n}" from a counter of this graph (not claimed: pass it to a method that claims
    /// names). For tensors nothing refers to by name, e.g. quantization scales and stored integer weights: short names
    /// keep them from costing more bytes than small tensors hold, and the counter keeps them deterministic.
    /// </summary>
    public string ShortName(char letter)
    {
        string name;
        do name = letter + (_shortNames++).ToString(CultureInfo.InvariantCulture);
        while (_tensorNames.Contains(name));
        return name;
    }

    /// <summary>
    /// Adds an initializer under a <see cref="ShortName"/> ("c0", "c1", ...) and returns that name; the tensor's own
    /// name is replaced.
    /// </summary>
    public string AddShortInitializer(TensorProto tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        tensor.Name = ShortName('c');
        return AddInitializer(tensor);
    }

    /// <summary>
    /// Adds a node without a name (optional in ONNX) writing one tensor under a <see cref="ShortName"/> ("t0", "t1",
    /// ...) and returns that tensor's name: for the nodes between a layer's stored form and what the layer reads.
    /// </summary>
    public string AddShortNode(string opType, IReadOnlyList<string> inputs, params AttributeProto[] attributes)
    {
        string output = UniqueName(ShortName('t'));
        AddNode(opType, inputs, new[] { output }, null, attributes);
        return output;
    }

    /// <summary>
    /// A Constant node holding <paramref name="value"/>, without a node name, writing a <see cref="ShortName"/>;
    /// returns that name. See <see cref="AddConstant"/>.
    /// </summary>
    public string AddShortConstant(TensorProto value)
    {
        ArgumentNullException.ThrowIfNull(value);
        value.Name = string.Empty;
        return AddShortNode("Constant", Array.Empty<string>(), OnnxAttributes.Tensor("value", value));
    }

    /// <summary>
    /// The tensor stored under <paramref name="key"/>, added by <paramref name="add"/> (which returns its name) on the
    /// first request: constants several writers use, such as one scale that a DequantizeLinear and a Mul both read.
    /// </summary>
    public string Shared(string key, Func<string> add)
    {
        if (!_shared.TryGetValue(key, out string? name))
            _shared[key] = name = add();
        return name;
    }

    private string UniqueNodeName(string prefix)
    {
        string name = prefix;
        for (int i = 1; !_nodeNames.Add(name); i++)
            name = prefix + "_" + i.ToString(CultureInfo.InvariantCulture);
        return name;
    }

    /// <summary>
    /// Adds <paramref name="tensor"/> as an initializer under a unique name derived from its name (renaming it if
    /// needed) and returns that name.
    /// </summary>
    public string AddInitializer(TensorProto tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        tensor.Name = UniqueName(tensor.Name);
        Graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>Adds a float initializer and returns its unique name.</summary>
    public string AddFloat(string name, IReadOnlyList<long> dims, ReadOnlySpan<float> data) => AddInitializer(OnnxTensors.Float(name, dims, data));

    /// <summary>Adds an int8 initializer and returns its unique name.</summary>
    public string AddInt8(string name, IReadOnlyList<long> dims, ReadOnlySpan<sbyte> data) => AddInitializer(OnnxTensors.Int8(name, dims, data));

    /// <summary>Adds a uint8 initializer and returns its unique name.</summary>
    public string AddUInt8(string name, IReadOnlyList<long> dims, ReadOnlySpan<byte> data) => AddInitializer(OnnxTensors.UInt8(name, dims, data));

    /// <summary>Adds an int32 initializer and returns its unique name.</summary>
    public string AddInt32(string name, IReadOnlyList<long> dims, ReadOnlySpan<int> data) => AddInitializer(OnnxTensors.Int32(name, dims, data));

    /// <summary>Adds an int64 initializer and returns its unique name.</summary>
    public string AddInt64(string name, IReadOnlyList<long> dims, ReadOnlySpan<long> data) => AddInitializer(OnnxTensors.Int64(name, dims, data));

    /// <summary>
    /// Adds a Constant node producing <paramref name="value"/> and returns its output name (derived from the tensor's
    /// name). Used where an initializer would not do, e.g. INT4/INT2 weights that ML.NET refuses as initializers.
    /// </summary>
    public string AddConstant(TensorProto value)
    {
        ArgumentNullException.ThrowIfNull(value);
        string output = UniqueName(value.Name);
        // The tensor inside a Constant carries no name of its own in ONNX's reference exporters; keep it empty.
        value.Name = string.Empty;
        AddNode("Constant", Array.Empty<string>(), new[] { output }, output, OnnxAttributes.Tensor("value", value));
        return output;
    }

    /// <summary>
    /// Adds a node with one output named from <paramref name="outputPrefix"/> and returns that name. Pass an empty
    /// string in <paramref name="inputs"/> for an omitted optional input.
    /// </summary>
    public string AddNode(string opType, IReadOnlyList<string> inputs, string outputPrefix, params AttributeProto[] attributes)
    {
        string output = UniqueName(outputPrefix);
        AddNode(opType, inputs, new[] { output }, outputPrefix, attributes);
        return output;
    }

    /// <summary>
    /// Adds a node writing <paramref name="outputs"/>, names that the caller has already claimed
    /// (<see cref="Reserve"/> or <see cref="UniqueName"/>). The node name is made unique from <paramref name="nodeName"/>;
    /// null leaves the node unnamed.
    /// </summary>
    public NodeProto AddNode(string opType, IReadOnlyList<string> inputs, IReadOnlyList<string> outputs, string? nodeName, params AttributeProto[] attributes)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(opType);
        foreach (string output in outputs)
            if (!_tensorNames.Contains(output))
                throw new InvalidOperationException($"Output '{output}' of the {opType} node was not reserved in graph '{Graph.Name}'.");
        var node = new NodeProto { OpType = opType };
        if (nodeName is not null) node.Name = UniqueNodeName(nodeName.Length == 0 ? opType : nodeName);
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        Graph.Node.Add(node);
        return node;
    }

    /// <summary>Declares a graph input (the name must be free; it is claimed).</summary>
    public void AddInput(string name, DataType elementType, params OnnxDim[] shape) =>
        Graph.Input.Add(ValueInfo(Reserve(name), elementType, shape));

    /// <summary>Declares a graph output; <paramref name="name"/> must be a tensor some node writes.</summary>
    public void AddOutput(string name, DataType elementType, params OnnxDim[] shape)
    {
        if (!_tensorNames.Contains(name))
            throw new InvalidOperationException($"Graph output '{name}' is not a tensor of graph '{Graph.Name}'.");
        Graph.Output.Add(ValueInfo(name, elementType, shape));
    }

    /// <summary>Sets a metadata_props entry; a key set twice keeps its first position and takes the new value.</summary>
    public void SetMetadata(string key, string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        foreach (var entry in _metadata)
        {
            if (entry.Key == key)
            {
                entry.Value = value;
                return;
            }
        }
        _metadata.Add(new StringStringEntryProto { Key = key, Value = value });
    }

    /// <summary>
    /// Wraps the graph in a model importing the default ai.onnx domain at <paramref name="opset"/>, with the IR
    /// version that opset was released with (<see cref="IrVersionForOpset"/>).
    /// </summary>
    public ModelProto ToModel(int opset, string producerName, string producerVersion, string? docString = null)
    {
        var model = new ModelProto
        {
            IrVersion = IrVersionForOpset(opset),
            ProducerName = producerName ?? string.Empty,
            ProducerVersion = producerVersion ?? string.Empty,
            ModelVersion = 1,
            DocString = docString ?? string.Empty,
            Graph = Graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = opset });
        model.MetadataProps.AddRange(_metadata);
        return model;
    }

    /// <summary>
    /// The IR version released with an ai.onnx opset (ONNX's versioning table). Pairing them this way keeps the
    /// file loadable by the oldest runtime that knows the opset; ONNX Runtime 1.31 reads IR 7-13 and opsets up to 26.
    /// </summary>
    public static long IrVersionForOpset(int opset) => opset switch
    {
        13 or 14 => 7,
        >= 15 and <= 18 => 8,
        19 or 20 => 9,
        21 or 22 => 10,
        23 => 11,
        24 => 12,
        25 or 26 => 13,
        _ => throw new ArgumentOutOfRangeException(nameof(opset), opset, "Supported ai.onnx opsets are 13 to 26."),
    };

    private static ValueInfoProto ValueInfo(string name, DataType elementType, OnnxDim[] shape)
    {
        var tensorShape = new TensorShapeProto();
        foreach (OnnxDim d in shape)
        {
            var dim = new TensorShapeProto.Types.Dimension();
            if (d.Symbol is string symbol) dim.DimParam = symbol;
            else dim.DimValue = d.Value;
            tensorShape.Dim.Add(dim);
        }
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)elementType, Shape = tensorShape } },
        };
    }
}
