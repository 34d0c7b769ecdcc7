using Microsoft.ML.Compression.Onnx.Proto;

namespace Microsoft.ML.Compression.Onnx.Import;

/// <summary>
/// What the importer and <see cref="OnnxImport.Inspect(string)"/> both need to know about a graph's wiring: the node
/// writing each tensor, which tensor holds the logits, and the nodes the logits depend on; one place, so the report
/// describes the import that runs.
/// </summary>
internal sealed class GraphWalk
{
    private readonly GraphProto _graph;
    private readonly Dictionary<string, int> _producers = new(StringComparer.Ordinal);

    public GraphWalk(GraphProto graph)
    {
        _graph = graph;
        for (int i = 0; i < graph.Node.Count; i++)
            foreach (string output in graph.Node[i].Output.Where(o => o.Length > 0))
                if (!_producers.TryAdd(output, i))
                    Duplicate ??= (output, _producers[output], i);
    }

    /// <summary>The first tensor written by two nodes (an invalid graph), with both node indices; null when none is.</summary>
    public (string Tensor, int First, int Second)? Duplicate { get; }

    /// <summary>The index of the node writing <paramref name="tensor"/>, or -1 (graph input, initializer or unknown).</summary>
    public int ProducerOf(string tensor) => _producers.TryGetValue(tensor, out int i) ? i : -1;

    /// <summary>
    /// The tensor holding the logits: the "Logits" output, else an output a Softmax or LogSoftmax writes (through
    /// Identity nodes), else the first output; for a probability head, its input, with the head's op type.
    /// </summary>
    public (string Logits, string? Head) Logits()
    {
        var outputs = _graph.Output.Select(o => o.Name).ToArray();
        if (outputs.Length == 0) return ("", null);
        string chosen = outputs.FirstOrDefault(o => o == OnnxExporter.LogitsOutput)
            ?? outputs.FirstOrDefault(o => ProbabilityHead(Behind(o)) is not null)
            ?? outputs[0];
        return ProbabilityHead(Behind(chosen)) is NodeProto head ? (head.Input[0], head.OpType) : (chosen, null);
    }

    /// <summary>The indices of the nodes <paramref name="output"/> depends on, in file order.</summary>
    public int[] NodesFeeding(string output)
    {
        var needed = new HashSet<int>();
        var pending = new Stack<string>();
        pending.Push(output);
        while (pending.Count > 0)
            if (_producers.TryGetValue(pending.Pop(), out int i) && needed.Add(i))
                foreach (string input in _graph.Node[i].Input.Where(x => x.Length > 0))
                    pending.Push(input);
        return needed.Order().ToArray();
    }

    // Softmax and LogSoftmax over the classes turn logits into (log-)probabilities; the scorer adds its own Softmax.
    private NodeProto? ProbabilityHead(string tensor) =>
        ProducerOf(tensor) is int i and >= 0 && _graph.Node[i] is { OpType: "Softmax" or "LogSoftmax", Input.Count: > 0 } node && node.Input[0].Length > 0 ? node : null;

    private string Behind(string tensor)
    {
        while (ProducerOf(tensor) is int i and >= 0 && _graph.Node[i] is { OpType: "Identity", Input.Count: > 0 } node) tensor = node.Input[0];
        return tensor;
    }
}
