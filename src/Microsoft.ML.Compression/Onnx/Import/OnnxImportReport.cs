using System.Globalization;
using System.Text;
using Microsoft.ML.Compression.Graph;

namespace Microsoft.ML.Compression.Onnx.Import;

/// <summary>A graph input or output as the ONNX file declares it.</summary>
/// <param name="Name">The tensor's name (an input's name is what ONNX Runtime binds).</param>
/// <param name="ElementType">The element type as the IR names it, e.g. "FLOAT" or "INT64".</param>
/// <param name="Dimensions">Each dimension: a number when fixed, the symbolic name when named, "?" when unknown.</param>
public sealed record OnnxTensorInfo(string Name, string ElementType, IReadOnlyList<string> Dimensions)
{
    /// <summary>The first (batch) dimension: a number when fixed, a symbolic name or "?" when not; null for a scalar.</summary>
    public string? BatchDimension => Dimensions.Count > 0 ? Dimensions[0] : null;

    /// <summary>True when the batch dimension is a fixed number (e.g. 1: the model scores one sample per run).</summary>
    public bool HasFixedBatch => BatchDimension is string b && long.TryParse(b, NumberStyles.Integer, CultureInfo.InvariantCulture, out _);

    /// <summary>"Name: FLOAT [N, 1, 28, 28]".</summary>
    public override string ToString() => $"{Name}: {ElementType} [{string.Join(", ", Dimensions)}]";
}

/// <summary>An op type the importer cannot read where the model uses it.</summary>
/// <param name="OpType">The op type, prefixed with its domain when not the default ai.onnx domain (e.g. "com.microsoft:FusedConv").</param>
/// <param name="Count">How many nodes of this type the import would need.</param>
/// <param name="Nodes">The names of the first of them ("#index" for an unnamed node), in file order.</param>
/// <param name="Reason">Why it is not read, e.g. "not supported" or "supported only when all its inputs are constants".</param>
public sealed record UnsupportedOperator(string OpType, int Count, IReadOnlyList<string> Nodes, string Reason)
{
    /// <summary>"Erf x2 (not supported): erf_1, erf_2".</summary>
    public override string ToString() => $"{OpType} x{Count} ({Reason}): {string.Join(", ", Nodes)}{(Count > Nodes.Count ? ", ..." : "")}";
}

/// <summary>
/// What an ONNX file holds and whether this library can import it (<see cref="OnnxImport.Inspect(string)"/>): versions,
/// producer, the input contract, outputs, op types, the ops the importer cannot read, and the outcome of an actual
/// import attempt. <see cref="ToString"/> prints a readable summary.
/// </summary>
public sealed class OnnxImportReport
{
    internal OnnxImportReport(string source) => Source = source;

    /// <summary>Where the model was read from (the quoted path, or "the ONNX stream").</summary>
    public string Source { get; }

    /// <summary>The ONNX IR version.</summary>
    public long IrVersion { get; internal init; }

    /// <summary>The imported opset version of each domain ("ai.onnx" for the default domain).</summary>
    public IReadOnlyDictionary<string, long> Opsets { get; internal init; } = new Dictionary<string, long>();

    /// <summary>producer_name (e.g. "pytorch", "tf2onnx", "Microsoft.ML.Compression").</summary>
    public string ProducerName { get; internal init; } = "";

    /// <summary>producer_version.</summary>
    public string ProducerVersion { get; internal init; } = "";

    /// <summary>The graph inputs a caller feeds (initializers listed as inputs are left out).</summary>
    public IReadOnlyList<OnnxTensorInfo> Inputs { get; internal init; } = Array.Empty<OnnxTensorInfo>();

    /// <summary>The one input when there is exactly one (the image), else null.</summary>
    public OnnxTensorInfo? Input => Inputs.Count == 1 ? Inputs[0] : null;

    /// <summary>
    /// A guess at the input's layout: "NCHW", "NHWC" (channels last, e.g. Keras), "NHW" (one channel, no channel axis),
    /// "flat" ([N, values]) or "unknown"; from the dims and the first op reading the input (a Conv, or a Transpose to
    /// channels first). The feature column is the input flattened in this layout.
    /// </summary>
    public string InputLayout { get; internal init; } = "unknown";

    /// <summary>The graph outputs, in order.</summary>
    public IReadOnlyList<OnnxTensorInfo> Outputs { get; internal init; } = Array.Empty<OnnxTensorInfo>();

    /// <summary>Nodes per op type (domain-prefixed outside ai.onnx), ordered by op type.</summary>
    public IReadOnlyDictionary<string, int> OperatorCounts { get; internal init; } = new Dictionary<string, int>();

    /// <summary>The tensor the importer takes as the logits (before a final Softmax or LogSoftmax).</summary>
    public string LogitsTensor { get; internal init; } = "";

    /// <summary>
    /// "Softmax" or "LogSoftmax" when the model ends with one on its logits (the import keeps the logits before it;
    /// the imported model's Score is still the class probabilities), else null.
    /// </summary>
    public string? FinalSoftmax { get; internal init; }

    /// <summary>The op types the importer cannot read among the nodes the logits depend on; empty when there are none.</summary>
    public IReadOnlyList<UnsupportedOperator> UnsupportedOperators { get; internal init; } = Array.Empty<UnsupportedOperator>();

    /// <summary>True when importing the file succeeded (the file was actually imported, not only scanned).</summary>
    public bool CanImport => Network is not null;

    /// <summary>Why the import failed (the importer's message, naming the op and node); empty when it succeeded.</summary>
    public IReadOnlyList<string> Problems { get; internal init; } = Array.Empty<string>();

    /// <summary>The imported network when <see cref="CanImport"/>, else null.</summary>
    public NetworkGraph? Network { get; internal init; }

    /// <summary>A multi-line summary: versions, input contract, outputs, ops, unsupported ops and the import's outcome.</summary>
    public override string ToString()
    {
        var s = new StringBuilder();
        string opsets = string.Join(", ", Opsets.Select(o => $"{o.Key} {o.Value}"));
        string producer = ProducerName.Length == 0 ? "unknown producer" : $"{ProducerName} {ProducerVersion}".TrimEnd();
        s.AppendLine(CultureInfo.InvariantCulture, $"ONNX model {Source}: IR {IrVersion}, opset {opsets}, {producer}");
        foreach (OnnxTensorInfo input in Inputs)
        {
            string batch = input.BatchDimension is null ? "no batch dimension"
                : input.HasFixedBatch ? $"batch fixed at {input.BatchDimension}" : $"batch symbolic '{input.BatchDimension}'";
            s.AppendLine(CultureInfo.InvariantCulture, $"  input   {input} ({batch}; layout {InputLayout})");
        }
        foreach (OnnxTensorInfo output in Outputs)
            s.AppendLine(CultureInfo.InvariantCulture, $"  output  {output}");
        s.AppendLine(CultureInfo.InvariantCulture,
            $"  ops     {OperatorCounts.Values.Sum()} nodes: {string.Join(", ", OperatorCounts.Select(o => $"{o.Key} x{o.Value}"))}");
        s.AppendLine(FinalSoftmax is null
            ? $"  logits  '{LogitsTensor}' (no final Softmax)"
            : $"  logits  '{LogitsTensor}', before the final {FinalSoftmax} (kept as logits; Score stays probabilities)");
        s.AppendLine(UnsupportedOperators.Count == 0 ? "  unsupported ops: none"
            : "  unsupported ops: " + string.Join("; ", UnsupportedOperators));
        if (Network is NetworkGraph n)
            s.Append(CultureInfo.InvariantCulture,
                $"  can import: yes - network '{n.Name}', input {Layer.Format(n.InputShape)}, {n.ClassCount} classes, {n.Layers.Count} layers, {n.ParameterCount:N0} parameters");
        else
            s.Append("  can import: no - " + string.Join(" | ", Problems));
        return s.ToString();
    }
}
