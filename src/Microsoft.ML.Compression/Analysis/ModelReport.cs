using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Training;

namespace Microsoft.ML.Compression.Analysis;

/// <summary>One row of a <see cref="ModelReport"/>: what a layer costs.</summary>
/// <param name="Name">Layer name.</param>
/// <param name="Kind">Operator kind, e.g. "Conv2d".</param>
/// <param name="OutputShape">Output shape without the batch dimension.</param>
/// <param name="Parameters">Weights and biases (BatchNorm running statistics excluded).</param>
/// <param name="Macs">Multiply-accumulates per sample.</param>
/// <param name="WeightBits">Bits each weight is stored with in the exported model (32 for float).</param>
public sealed record LayerReport(string Name, string Kind, int[] OutputShape, long Parameters, long Macs, int WeightBits)
{
    /// <summary>Bytes of the layer's parameters at their stored bit width.</summary>
    public long ParameterBytes => (Parameters * WeightBits + 7) / 8;
}

/// <summary>
/// The seed article's three measures of a model (size, compute, memory) plus the exported file size: parameters,
/// bytes at stored bit widths, MACs per sample, the largest activation, and per-layer rows.
/// </summary>
public sealed class ModelReport
{
    /// <summary>Builds the report of a network and its exported ONNX model.</summary>
    public ModelReport(NetworkGraph graph, string method, long onnxBytes, IReadOnlyList<EpochMetrics>? history = null,
        IReadOnlyDictionary<string, int>? weightBits = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        Network = graph.Name;
        Method = method;
        OnnxBytes = onnxBytes;
        History = history ?? Array.Empty<EpochMetrics>();
        Layers = graph.Layers.Select(l =>
        {
            int bits = weightBits is not null && weightBits.TryGetValue(l.Name, out int b) ? b : 32;
            return new LayerReport(l.Name, l.Kind, graph.ShapeOf(l.Name), l.ParameterCount, l.Macs(graph.InputShapesOf(l), graph.ShapeOf(l.Name)), bits);
        }).ToArray();
        Parameters = Layers.Sum(l => l.Parameters);
        Macs = Layers.Sum(l => l.Macs);
        ParameterBytes = Layers.Sum(l => l.ParameterBytes);
        LargestActivation = graph.Layers.Max(l => (long)graph.ShapeOf(l.Name).Aggregate(1, (a, d) => a * d));
    }

    /// <summary>Network name.</summary>
    public string Network { get; }
    /// <summary>The method that produced the model, e.g. "fp32".</summary>
    public string Method { get; }
    /// <summary>Total parameters.</summary>
    public long Parameters { get; }
    /// <summary>Bytes of all parameters at their stored bit widths.</summary>
    public long ParameterBytes { get; }
    /// <summary>Multiply-accumulates per sample (FLOPs are about twice this).</summary>
    public long Macs { get; }
    /// <summary>Size of the exported ONNX model in bytes.</summary>
    public long OnnxBytes { get; }
    /// <summary>Elements of the largest activation of one sample (runtime memory is dominated by activations).</summary>
    public long LargestActivation { get; }
    /// <summary>Per-layer rows.</summary>
    public IReadOnlyList<LayerReport> Layers { get; }
    /// <summary>Per-epoch metrics of the training that produced the model (empty if none).</summary>
    public IReadOnlyList<EpochMetrics> History { get; }

    /// <inheritdoc />
    public override string ToString()
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(inv, $"{Network} ({Method}): {Parameters:N0} parameters, {ParameterBytes:N0} parameter bytes, {Macs:N0} MACs/sample, ONNX {OnnxBytes:N0} bytes");
        sb.AppendLine(inv, $"{"layer",-16} {"kind",-13} {"output",-14} {"params",10} {"MACs",12} {"bits",4}");
        foreach (var l in Layers)
            sb.AppendLine(inv, $"{l.Name,-16} {l.Kind,-13} {Layer.Format(l.OutputShape),-14} {l.Parameters,10:N0} {l.Macs,12:N0} {l.WeightBits,4}");
        return sb.ToString();
    }
}
