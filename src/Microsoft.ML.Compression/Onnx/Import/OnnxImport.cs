using System.IO;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Onnx.Proto;
using Dimension = Microsoft.ML.Compression.Onnx.Proto.TensorShapeProto.Types.Dimension;

namespace Microsoft.ML.Compression.Onnx.Import;

/// <summary>
/// Tells whether an ONNX file can be compressed before any work: <see cref="Inspect(string)"/> lists its ops, its input
/// contract and what the importer cannot read, and tries the import. To import, use
/// <see cref="NetworkGraph.FromOnnx(string)"/>, <see cref="StartingPoint.FromOnnx"/> or
/// <c>mlContext.Transforms.Compression.ImportOnnx</c>.
/// </summary>
public static class OnnxImport
{
    private const int NodesListed = 5;

    /// <summary>The op types (default ai.onnx domain) the importer reads (some only on constant inputs).</summary>
    public static IReadOnlyList<string> SupportedOpTypes => OnnxImporter.SupportedOpTypes;

    /// <summary>
    /// Reads the ONNX file <paramref name="path"/> and reports what it holds and whether it can be imported. A valid
    /// ONNX model that cannot be imported gives a report with <see cref="OnnxImportReport.CanImport"/> false and the
    /// reasons, not an exception.
    /// </summary>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="InvalidDataException">The file is not an ONNX model; the message names it.</exception>
    public static OnnxImportReport Inspect(string path) => Inspect(OnnxFile.ReadBytes(path), $"'{path}'");

    /// <summary>Reports on the ONNX model in <paramref name="stream"/> (read to its end, not closed); see <see cref="Inspect(string)"/>.</summary>
    /// <exception cref="InvalidDataException">The bytes are not an ONNX model.</exception>
    public static OnnxImportReport Inspect(Stream stream) => Inspect(OnnxFile.ReadBytes(stream), "the ONNX stream");

    private static OnnxImportReport Inspect(byte[] bytes, string source)
    {
        ModelProto model = OnnxFile.Parse(bytes, source);
        GraphProto graph = model.Graph;
        var initializers = new HashSet<string>(graph.Initializer.Select(t => t.Name), StringComparer.Ordinal);
        var walk = new GraphWalk(graph);
        var inputs = graph.Input.Where(i => !initializers.Contains(i.Name)).Select(Describe).ToArray();
        (string logits, string? softmax) = walk.Logits();
        // The logits may also feed a softmax output of their own (this library writes Logits and Score).
        softmax ??= graph.Node.FirstOrDefault(n => n is { OpType: "Softmax" or "LogSoftmax", Input.Count: > 0 } && n.Input[0] == logits
            && n.Output.Any(o => graph.Output.Any(g => g.Name == o)))?.OpType;

        NetworkGraph? network = null;
        var problems = new List<string>();
        try
        {
            network = OnnxImporter.Import(model);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            problems.Add(e is NotSupportedException or InvalidDataException ? e.Message : $"{e.GetType().Name}: {e.Message}");
        }

        return new OnnxImportReport(source)
        {
            IrVersion = model.IrVersion,
            Opsets = model.OpsetImport.GroupBy(o => o.Domain is "" ? "ai.onnx" : o.Domain).ToDictionary(g => g.Key, g => g.Max(o => o.Version)),
            ProducerName = model.ProducerName,
            ProducerVersion = model.ProducerVersion,
            Inputs = inputs,
            InputLayout = inputs.Length == 1 ? Layout(graph, inputs[0]) : "unknown",
            Outputs = graph.Output.Select(Describe).ToArray(),
            OperatorCounts = new SortedDictionary<string, int>(
                graph.Node.GroupBy(OpKey).ToDictionary(g => g.Key, g => g.Count()), StringComparer.Ordinal),
            LogitsTensor = logits,
            FinalSoftmax = softmax,
            UnsupportedOperators = Unsupported(graph, initializers, walk.NodesFeeding(logits)),
            Problems = problems,
            Network = network,
        };
    }

    /// <summary>
    /// The op types among the nodes the logits depend on that the importer reads neither as a layer nor as a constant
    /// (an op with only a constant evaluator counts when an input is computed at run time).
    /// </summary>
    private static UnsupportedOperator[] Unsupported(GraphProto graph, HashSet<string> initializers, int[] needed)
    {
        var constants = new HashSet<string>(initializers, StringComparer.Ordinal);
        var found = new Dictionary<string, (string Reason, List<string> Nodes, int Count)>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (int i in needed)
        {
            NodeProto node = graph.Node[i];
            bool standard = node.Domain is "" or "ai.onnx";
            bool constantInputs = node.Input.All(x => x.Length == 0 || constants.Contains(x));
            bool evaluates = standard && OpRegistry.Evaluators.ContainsKey(node.OpType);
            // Shape of a run-time tensor folds to a constant too (its sizes are fixed, the batch is marked).
            if ((evaluates && constantInputs) || (standard && node.OpType == "Shape"))
            {
                constants.UnionWith(node.Output.Where(o => o.Length > 0));
                continue;
            }
            if (standard && OpRegistry.Converters.ContainsKey(node.OpType)) continue;
            string key = OpKey(node);
            string reason = !standard ? $"domain '{node.Domain}' is not read" : evaluates ? "supported only when all its inputs are constants" : "not supported";
            if (!found.TryGetValue(key, out var entry)) order.Add(key);
            entry = entry.Nodes is null ? (reason, new List<string>(), 0) : entry;
            if (entry.Nodes.Count < NodesListed) entry.Nodes.Add(string.IsNullOrEmpty(node.Name) ? $"#{i}" : node.Name);
            found[key] = (entry.Reason, entry.Nodes, entry.Count + 1);
        }
        return order.Select(k => new UnsupportedOperator(k, found[k].Count, found[k].Nodes.AsReadOnly(), found[k].Reason)).ToArray();
    }

    private static string OpKey(NodeProto node) => node.Domain is "" or "ai.onnx" ? node.OpType : $"{node.Domain}:{node.OpType}";

    private static OnnxTensorInfo Describe(ValueInfoProto value)
    {
        var tensor = value.Type?.TensorType;
        string type = tensor is null ? "not a tensor" : ElementTypes.Name(tensor.ElemType);
        var dims = tensor?.Shape?.Dim.Select(d => d.ValueCase switch
        {
            Dimension.ValueOneofCase.DimValue => d.DimValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Dimension.ValueOneofCase.DimParam when d.DimParam.Length > 0 => d.DimParam,
            _ => "?",
        }).ToArray() ?? Array.Empty<string>();
        return new OnnxTensorInfo(value.Name, type, dims);
    }

    /// <summary>The input's layout: from the first op reading it (Conv: NCHW; Transpose to channels first: NHWC), else from which axis is small.</summary>
    private static string Layout(GraphProto graph, OnnxTensorInfo input)
    {
        switch (input.Dimensions.Count)
        {
            case 2: return "flat";
            case 3: return "NHW";
            case 4: break;
            default: return "unknown";
        }
        NodeProto? reader = graph.Node.FirstOrDefault(n => n.Input.Contains(input.Name));
        if (reader?.OpType == "Conv") return "NCHW";
        if (reader?.OpType == "Transpose" && reader.Attribute.FirstOrDefault(a => a.Name == "perm")?.Ints is { } perm
            && perm.SequenceEqual(new long[] { 0, 3, 1, 2 }))
            return "NHWC";
        static bool Small(string d) => long.TryParse(d, out long v) && v is >= 1 and <= 4;
        bool first = Small(input.Dimensions[1]), last = Small(input.Dimensions[3]);
        return first && !last ? "NCHW" : last && !first ? "NHWC" : "unknown";
    }
}
