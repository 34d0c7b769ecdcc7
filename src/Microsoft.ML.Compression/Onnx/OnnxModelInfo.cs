using System.IO;
using Microsoft.ML.Compression.Onnx.Proto;

namespace Microsoft.ML.Compression.Onnx;

/// <summary>
/// A summary of an ONNX model read back from its bytes: versions, producer, inputs, outputs, operators and
/// metadata_props. Fields outside the library's minimal schema are skipped.
/// </summary>
public sealed class OnnxModelInfo
{
    private OnnxModelInfo(ModelProto model)
    {
        IrVersion = model.IrVersion;
        Opset = model.OpsetImport.Where(o => o.Domain is "" or "ai.onnx").Select(o => o.Version).DefaultIfEmpty(0).Max();
        ProducerName = model.ProducerName;
        ProducerVersion = model.ProducerVersion;
        GraphName = model.Graph?.Name ?? string.Empty;
        var initializers = new HashSet<string>(model.Graph?.Initializer.Select(t => t.Name) ?? Enumerable.Empty<string>());
        // Older IR versions list initializers among the inputs as well; those are not inputs a caller feeds.
        InputNames = model.Graph?.Input.Select(i => i.Name).Where(n => !initializers.Contains(n)).ToArray() ?? Array.Empty<string>();
        OutputNames = model.Graph?.Output.Select(o => o.Name).ToArray() ?? Array.Empty<string>();
        var ops = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (NodeProto node in model.Graph?.Node ?? Enumerable.Empty<NodeProto>())
            ops[node.OpType] = ops.TryGetValue(node.OpType, out int n) ? n + 1 : 1;
        OperatorCounts = ops;
        InitializerBytes = model.Graph?.Initializer.Sum(t => (long)t.RawData.Length + t.FloatData.Count * 4L + t.Int32Data.Count * 4L + t.Int64Data.Count * 8L) ?? 0;
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (StringStringEntryProto entry in model.MetadataProps)
            metadata[entry.Key] = entry.Value;
        Metadata = metadata;
    }

    /// <summary>The ONNX IR version.</summary>
    public long IrVersion { get; }

    /// <summary>The imported ai.onnx opset (0 if none).</summary>
    public long Opset { get; }

    /// <summary>producer_name.</summary>
    public string ProducerName { get; }

    /// <summary>producer_version.</summary>
    public string ProducerVersion { get; }

    /// <summary>Name of the graph.</summary>
    public string GraphName { get; }

    /// <summary>Graph inputs a caller feeds (initializers excluded).</summary>
    public IReadOnlyList<string> InputNames { get; }

    /// <summary>Graph outputs, in order.</summary>
    public IReadOnlyList<string> OutputNames { get; }

    /// <summary>Number of nodes of each operator type, ordered by name.</summary>
    public IReadOnlyDictionary<string, int> OperatorCounts { get; }

    /// <summary>Bytes of initializer data (weights, shapes), as stored.</summary>
    public long InitializerBytes { get; }

    /// <summary>The metadata_props entries (a repeated key keeps its last value).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Reads a model from its bytes.</summary>
    /// <exception cref="InvalidDataException">The bytes are not an ONNX model.</exception>
    public static OnnxModelInfo Read(byte[] model)
    {
        ArgumentNullException.ThrowIfNull(model);
        try
        {
            return new OnnxModelInfo(ModelProto.Parser.ParseFrom(model));
        }
        catch (Google.Protobuf.InvalidProtocolBufferException e)
        {
            throw new InvalidDataException("The bytes are not a valid ONNX model: " + e.Message, e);
        }
    }

    /// <summary>Reads a model from a file.</summary>
    /// <exception cref="InvalidDataException">The file is not an ONNX model.</exception>
    public static OnnxModelInfo ReadFile(string path) => Read(File.ReadAllBytes(path));
}
