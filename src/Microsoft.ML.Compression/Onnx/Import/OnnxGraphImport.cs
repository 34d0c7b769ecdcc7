using System.Globalization;
using System.IO;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Onnx.Proto;
using DataType = Microsoft.ML.Compression.Onnx.Proto.TensorProto.Types.DataType;

namespace Microsoft.ML.Compression.Onnx.Import;

/// <summary>
/// One import: finds the logits, walks the nodes they depend on in file order (the IR requires topological order),
/// folds each node whose inputs are all constants and hands the others to their <see cref="IOpConverter"/>, then
/// keeps the layers the logits need.
/// </summary>
internal sealed class OnnxGraphImport
{
    private readonly ModelProto _model;
    private readonly GraphProto _graph;
    private readonly OnnxNode[] _nodes;
    private readonly GraphWalk _walk;
    private readonly Dictionary<string, TensorProto> _initializers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _metadata = new(StringComparer.Ordinal);
    private InputContract? _contract;

    public OnnxGraphImport(ModelProto model)
    {
        _model = model;
        _graph = model.Graph ?? throw new InvalidDataException("The bytes are not an ONNX model: there is no graph.");
        if (_graph.Node.Count == 0) throw new InvalidDataException($"The ONNX graph '{_graph.Name}' has no nodes.");
        _nodes = _graph.Node.Select((n, i) => new OnnxNode(n, i)).ToArray();
        _walk = new GraphWalk(_graph);
        if (_walk.Duplicate is var (tensor, first, second))
            throw new InvalidDataException($"Tensor '{tensor}' is written by both {_nodes[first].Description} and {_nodes[second].Description}.");
        foreach (TensorProto t in _graph.Initializer)
            if (!_initializers.TryAdd(t.Name, t))
                throw new InvalidDataException($"The ONNX graph has two initializers named '{t.Name}'.");
        foreach (StringStringEntryProto entry in model.MetadataProps)
            _metadata[entry.Key] = entry.Value;
    }

    public NetworkGraph Run()
    {
        // The opset first: in a version the converters do not know, any later error would be a misleading one.
        int opset = Opset();
        if (_graph.Output.Count == 0) throw new InvalidDataException($"The ONNX graph '{_graph.Name}' has no outputs.");
        string logits = _walk.Logits().Logits;
        OnnxNode[] needed = _walk.NodesFeeding(logits).Select(i => _nodes[i]).ToArray();
        var context = new ImportContext(opset, _initializers, CountReads(needed, logits));
        if (_metadata.TryGetValue(OnnxMetadataKeys.InputShape, out string? shapeText))
            context.SetInputShape(ParseShape(shapeText), $"metadata_props '{OnnxMetadataKeys.InputShape}'");
        BindInput(context);

        foreach (OnnxNode node in needed)
        {
            Import(node, context);
            context.MarkUncomputedOutputs(node);
        }
        return Build(context, logits);
    }

    private static void Import(OnnxNode node, ImportContext context)
    {
        if (node.Proto.Domain is not ("" or "ai.onnx"))
            throw node.Unsupported($"op '{node.OpType}' of domain '{node.Proto.Domain}' is not supported; the importer reads the default ai.onnx domain only.");
        bool constant = Enumerable.Range(0, node.Inputs.Count).All(i => !node.HasInput(i) || context.IsConstant(node.Inputs[i]));
        if (constant && OpRegistry.Evaluators.TryGetValue(node.OpType, out IConstantEvaluator? evaluator))
        {
            var inputs = Enumerable.Range(0, node.Inputs.Count).Select(i => node.HasInput(i) ? context.TryConstant(node.Inputs[i]) : null).ToArray();
            IReadOnlyList<ConstantTensor> outputs = evaluator.Evaluate(node, new ConstantInputs(node, inputs, context.Opset));
            for (int i = 0; i < outputs.Count && i < node.Outputs.Count; i++)
                if (node.Outputs[i].Length > 0) context.SetConstant(node.Outputs[i], outputs[i]);
            return;
        }
        if (OpRegistry.Converters.TryGetValue(node.OpType, out IOpConverter? converter))
        {
            converter.Convert(node, context);
            return;
        }
        string reason = OpRegistry.Evaluators.ContainsKey(node.OpType)
            ? $"op type '{node.OpType}' is supported only when all its inputs are constants"
            : $"op type '{node.OpType}' is not supported";
        throw node.Unsupported($"{reason}. Supported op types: {string.Join(", ", OpRegistry.SupportedOpTypes)}.");
    }

    private NetworkGraph Build(ImportContext context, string logits)
    {
        ActivationValue value = context.TryActivation(logits) ?? throw (context.IsConstant(logits)
            ? new NotSupportedException($"The logits '{logits}' are a constant; there is no network to import.")
            : new InvalidDataException($"The logits '{logits}' are never computed."));
        if (value.Quantized)
            throw new NotSupportedException($"The logits '{logits}' are a QuantizeLinear output; the importer needs float logits.");
        if (value.Tensor == NetworkGraph.InputName)
            throw new NotSupportedException($"The logits '{logits}' are the graph input itself; there is no layer to import.");

        string output = context.Materialize(value, logits);
        // Layers the logits do not depend on (e.g. a branch feeding another output) are not part of the network.
        var keep = new HashSet<string>(StringComparer.Ordinal) { output };
        for (int i = context.Layers.Count - 1; i >= 0; i--)
            if (keep.Contains(context.Layers[i].Name)) keep.UnionWith(context.Layers[i].Inputs);
        Layer[] layers = context.Layers.Where(l => keep.Contains(l.Name)).ToArray();
        int[] inputShape = context.ShapeOf(NetworkGraph.InputName);
        try
        {
            return new NetworkGraph(NetworkName(), inputShape, layers, _contract);
        }
        catch (InvalidOperationException e)
        {
            throw new NotSupportedException($"The imported layers do not form a classifier network: {e.Message}", e);
        }
    }

    private static Dictionary<string, int> CountReads(IEnumerable<OnnxNode> nodes, string logits)
    {
        var reads = new Dictionary<string, int>(StringComparer.Ordinal) { [logits] = 1 };
        foreach (OnnxNode node in nodes)
            foreach (string input in node.Inputs.Where(i => i.Length > 0))
                reads[input] = reads.GetValueOrDefault(input) + 1;
        return reads;
    }

    private int Opset()
    {
        long? version = _model.OpsetImport.Where(o => o.Domain is "" or "ai.onnx").Select(o => (long?)o.Version).Max();
        if (version is not long v || v <= 0)
            throw new InvalidDataException("The ONNX model imports no version of the default ai.onnx opset.");
        // Ops changed their inputs and attributes between versions: outside the range the converters were written
        // for, a model would import silently wrong (or fail on some node with a misleading message).
        if (v is < OnnxImporter.MinimumOpset or > OnnxImporter.MaximumOpset)
            throw new NotSupportedException(
                $"The model imports ai.onnx opset {v.ToString(CultureInfo.InvariantCulture)}; the importer reads opsets {OnnxImporter.MinimumOpset} to {OnnxImporter.MaximumOpset}"
                + (v < OnnxImporter.MinimumOpset ? " (convert it with onnx.version_converter)." : "."));
        return (int)v;
    }

    /// <summary>
    /// The one graph input that is not an initializer: float, a batch dimension (fixed or symbolic) first, then 1 to 3
    /// fixed sizes ([F], [C,H,W], [H,W,C]...). Its flattened values are the feature column.
    /// </summary>
    private void BindInput(ImportContext context)
    {
        var inputs = _graph.Input.Where(i => !_initializers.ContainsKey(i.Name)).ToArray();
        if (inputs.Length != 1)
            throw new NotSupportedException($"The ONNX graph has {inputs.Length} inputs ({string.Join(", ", inputs.Select(i => i.Name))}); the importer needs exactly one input.");
        ValueInfoProto input = inputs[0];
        var tensor = input.Type?.TensorType;
        if (tensor is null || (tensor.ElemType != 0 && tensor.ElemType != (int)DataType.Float))
            throw new NotSupportedException($"Graph input '{input.Name}' is not a FLOAT tensor.");
        var dims = tensor.Shape?.Dim.Select(d => d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue ? d.DimValue : -1).ToArray()
            ?? Array.Empty<long>();
        long[] features = dims.Skip(1).ToArray();
        if (dims.Length is < 2 or > 4 || features.Any(d => d <= 0 || d > int.MaxValue))
            throw new NotSupportedException(
                $"Graph input '{input.Name}' has shape [{string.Join(",", dims.Select(d => d < 0 ? "?" : d.ToString(CultureInfo.InvariantCulture)))}]; the importer needs a batch dimension followed by 1 to 3 fixed sizes, e.g. [N,784], [N,1,28,28] or [N,28,28,1].");
        if (dims[0] > 1)
            throw new NotSupportedException($"Graph input '{input.Name}' has a fixed batch of {dims[0]}; the importer needs a batch of 1 or a symbolic batch.");
        context.SetGraphInput(input.Name, features.Select(d => (int)d).ToArray());
        context.BatchIsOne = dims[0] == 1;
        var first = tensor.Shape!.Dim[0];
        string batch = dims[0] > 0 ? dims[0].ToString(CultureInfo.InvariantCulture)
            : first.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam && first.DimParam.Length > 0 ? first.DimParam : "N";
        _contract = new InputContract(batch, features.Select(d => (int)d).ToArray());
    }

    private string NetworkName()
    {
        if (_metadata.TryGetValue(OnnxMetadataKeys.Network, out string? name) && !string.IsNullOrWhiteSpace(name)) return name;
        return string.IsNullOrWhiteSpace(_graph.Name) ? "onnx" : _graph.Name;
    }

    private static int[] ParseShape(string text)
    {
        string[] parts = text.Split(',');
        var shape = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i].Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out shape[i]))
                throw new InvalidDataException($"metadata_props '{OnnxMetadataKeys.InputShape}' is '{text}', not a comma-separated shape such as 'C,H,W'.");
        return shape;
    }
}
