using System.IO;
using Microsoft.ML.Compression.Onnx.Proto;
using AttributeType = Microsoft.ML.Compression.Onnx.Proto.AttributeProto.Types.AttributeType;

namespace Microsoft.ML.Compression.Onnx.Import;

/// <summary>
/// A node being imported: its inputs and outputs, typed attribute access with the IR's defaults, and exceptions that
/// name it, so every converter reports problems the same way.
/// </summary>
internal sealed class OnnxNode
{
    private readonly Dictionary<string, AttributeProto> _attributes = new(StringComparer.Ordinal);

    /// <summary>Wraps <paramref name="proto"/>; <paramref name="index"/> (its position in the graph) names an unnamed node.</summary>
    public OnnxNode(NodeProto proto, int index)
    {
        Proto = proto;
        Name = string.IsNullOrEmpty(proto.Name) ? $"#{index}" : proto.Name;
        foreach (AttributeProto a in proto.Attribute)
            if (!_attributes.TryAdd(a.Name, a))
                throw Invalid($"attribute '{a.Name}' is set twice.");
    }

    /// <summary>The node as read from the file.</summary>
    public NodeProto Proto { get; }

    /// <summary>The op type, e.g. "Conv".</summary>
    public string OpType => Proto.OpType;

    /// <summary>The node's name, or "#index" for an unnamed node.</summary>
    public string Name { get; }

    /// <summary>True when the file gives the node a name.</summary>
    public bool HasName => !string.IsNullOrEmpty(Proto.Name);

    /// <summary>Input tensor names; an empty name is an omitted optional input.</summary>
    public IReadOnlyList<string> Inputs => Proto.Input;

    /// <summary>Output tensor names; an empty name is an omitted optional output.</summary>
    public IReadOnlyList<string> Outputs => Proto.Output;

    /// <summary>"Conv node 'conv1'", for messages.</summary>
    public string Description => $"{OpType} node '{Name}'";

    /// <summary>True when input <paramref name="index"/> is given.</summary>
    public bool HasInput(int index) => index < Inputs.Count && Inputs[index].Length > 0;

    /// <summary>True when the attribute is set.</summary>
    public bool Has(string name) => _attributes.ContainsKey(name);

    /// <summary>An INT attribute, or <paramref name="fallback"/> when absent.</summary>
    public long Int(string name, long fallback) => Get(name, AttributeType.Int) is { } a ? a.I : fallback;

    /// <summary>A FLOAT attribute, or <paramref name="fallback"/> when absent.</summary>
    public float Float(string name, float fallback) => Get(name, AttributeType.Float) is { } a ? a.F : fallback;

    /// <summary>An INTS attribute, or null when absent.</summary>
    public long[]? Ints(string name) => Get(name, AttributeType.Ints)?.Ints.ToArray();

    /// <summary>A FLOATS attribute, or null when absent.</summary>
    public float[]? Floats(string name) => Get(name, AttributeType.Floats)?.Floats.ToArray();

    /// <summary>A STRING attribute (UTF-8), or <paramref name="fallback"/> when absent.</summary>
    public string String(string name, string fallback) => Get(name, AttributeType.String) is { } a ? a.S.ToStringUtf8() : fallback;

    /// <summary>A TENSOR attribute, or null when absent.</summary>
    public TensorProto? Tensor(string name) => Get(name, AttributeType.Tensor)?.T;

    /// <summary>A <see cref="NotSupportedException"/> naming the node.</summary>
    public NotSupportedException Unsupported(string reason) => new($"{Description}: {reason}");

    /// <summary>An <see cref="InvalidDataException"/> naming the node.</summary>
    public InvalidDataException Invalid(string reason) => new($"{Description}: {reason}");

    private AttributeProto? Get(string name, AttributeType type)
    {
        if (!_attributes.TryGetValue(name, out AttributeProto? a)) return null;
        // Some writers leave the type UNDEFINED; the value field then says what it is.
        if (a.Type != type && a.Type != AttributeType.Undefined)
            throw Invalid($"attribute '{name}' is {a.Type}, expected {type}.");
        return a;
    }
}
