using System.Globalization;
using System.Text;
using Microsoft.ML.Compression.Graph;

namespace Microsoft.ML.Compression.Analysis;

/// <summary>One layer's width before and after pruning: output channels of a convolution or BatchNorm, input features of a Linear layer.</summary>
public sealed record PrunedLayer(string Name, string Kind, int Before, int After)
{
    /// <summary>Fraction of the width removed.</summary>
    public double RemovedFraction => Before == 0 ? 0 : 1 - (double)After / Before;
}

/// <summary>What structured pruning removed: per-layer widths, parameters, MACs and ONNX bytes before and after.</summary>
public sealed class PruningReport
{
    /// <summary>Compares the network before pruning with the pruned one and their ONNX sizes.</summary>
    public PruningReport(NetworkGraph before, NetworkGraph after, long onnxBytesBefore, long onnxBytesAfter, IReadOnlyList<string>? notes = null)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        Layers = before.Layers.Select(l => Row(l, after)).Where(r => r is not null).Select(r => r!).ToArray();
        ParametersBefore = before.ParameterCount;
        ParametersAfter = after.ParameterCount;
        MacsBefore = before.Macs;
        MacsAfter = after.Macs;
        OnnxBytesBefore = onnxBytesBefore;
        OnnxBytesAfter = onnxBytesAfter;
        Notes = notes ?? Array.Empty<string>();
    }

    /// <summary>Per-layer widths (convolutions, BatchNorms, Linear inputs).</summary>
    public IReadOnlyList<PrunedLayer> Layers { get; }
    /// <summary>Parameters of the network before pruning.</summary>
    public long ParametersBefore { get; }
    /// <summary>Parameters after pruning.</summary>
    public long ParametersAfter { get; }
    /// <summary>MACs per sample before pruning.</summary>
    public long MacsBefore { get; }
    /// <summary>MACs per sample after pruning.</summary>
    public long MacsAfter { get; }
    /// <summary>fp32 ONNX size before pruning.</summary>
    public long OnnxBytesBefore { get; }
    /// <summary>ONNX size after pruning.</summary>
    public long OnnxBytesAfter { get; }
    /// <summary>Fraction of parameters removed.</summary>
    public double ParameterReduction => 1 - (double)ParametersAfter / ParametersBefore;
    /// <summary>Fraction of MACs removed.</summary>
    public double MacReduction => 1 - (double)MacsAfter / MacsBefore;
    /// <summary>
    /// Fraction of all convolutions' output channels removed (a channel that a residual Add shares between several
    /// convolutions counts once per convolution, so this differs from the fraction of coupled channels removed).
    /// </summary>
    public double ChannelReduction
    {
        get
        {
            var convs = Layers.Where(l => l.Kind == "Conv2d").ToList();
            return 1 - (double)convs.Sum(l => l.After) / Math.Max(1, convs.Sum(l => l.Before));
        }
    }
    /// <summary>What the method decided beyond the numbers (layers skipped and why, rounds, thresholds).</summary>
    public IReadOnlyList<string> Notes { get; }

    private static PrunedLayer? Row(Layer layer, NetworkGraph after)
    {
        Layer? pruned = after.Layers.FirstOrDefault(l => l.Name == layer.Name);
        if (layer.PrunableWidth is not int before || pruned?.PrunableWidth is not int width) return null;
        // A layer that consumes channels (Linear) loses input features; the others lose output channels.
        string kind = layer.ChannelFlow == ChannelRule.Consumes ? layer.Kind + " in" : layer.Kind;
        return new PrunedLayer(layer.Name, kind, before, width);
    }

    /// <inheritdoc />
    public override string ToString()
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(inv, $"pruned: params {ParametersBefore:N0} -> {ParametersAfter:N0} (-{ParameterReduction:P1}), MACs {MacsBefore:N0} -> {MacsAfter:N0} (-{MacReduction:P1}), ONNX {OnnxBytesBefore:N0} -> {OnnxBytesAfter:N0} bytes");
        foreach (var l in Layers)
            sb.AppendLine(inv, $"  {l.Name,-16} {l.Kind,-12} {l.Before,6} -> {l.After,6}");
        foreach (string note in Notes) sb.AppendLine(inv, $"  note: {note}");
        return sb.ToString();
    }
}
