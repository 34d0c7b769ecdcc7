using System.Globalization;
using System.Text;
using Microsoft.ML.Compression.Compressed;
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
/// <param name="Weights">How many of <paramref name="Parameters"/> are the "weight" tensor (the rest, e.g. biases, stay 32-bit).</param>
public sealed record LayerReport(string Name, string Kind, int[] OutputShape, long Parameters, long Macs, int WeightBits, long Weights)
{
    /// <summary>
    /// Bytes of the layer's parameters as stored: weights at <see cref="WeightBits"/>, every other parameter at 32 bits
    /// (quantized biases are int32). Per-channel scales are not counted.
    /// </summary>
    public long ParameterBytes => (Weights * WeightBits + 7) / 8 + (Parameters - Weights) * 4;
}

/// <summary>
/// The seed article's three measures of a model (size, compute, memory) plus the exported file size: parameters,
/// bytes at stored bit widths, MACs per sample, the largest activation, and per-layer rows.
/// </summary>
public sealed class ModelReport
{
    /// <summary>Builds the report of a compressed model and its exported ONNX file.</summary>
    /// <param name="model">The model as exported (for an int8 model, with BatchNorm folded).</param>
    /// <param name="method">What produced it, e.g. "fp32" or "simqat-int8".</param>
    /// <param name="onnxBytes">Size of its ONNX file.</param>
    /// <param name="history">Epochs of the training that produced it.</param>
    /// <param name="fp32OnnxBytes">Size of the fp32 ONNX file of the network it started from, for <see cref="OnnxRatio"/>.</param>
    public ModelReport(CompressedNetwork model, string method, long onnxBytes, IReadOnlyList<EpochMetrics>? history = null, long? fp32OnnxBytes = null)
        : this(model?.Graph!, method, onnxBytes, history, model?.WeightBitsByLayer, fp32OnnxBytes)
    {
    }

    /// <summary>Builds the report of a float network and its exported ONNX model.</summary>
    /// <param name="graph">The network as exported.</param>
    /// <param name="method">What produced it, e.g. "fp32".</param>
    /// <param name="onnxBytes">Size of its ONNX file.</param>
    /// <param name="history">Epochs of the training that produced it.</param>
    public ModelReport(NetworkGraph graph, string method, long onnxBytes, IReadOnlyList<EpochMetrics>? history = null)
        : this(graph, method, onnxBytes, history, null, null)
    {
    }

    private ModelReport(NetworkGraph graph, string method, long onnxBytes, IReadOnlyList<EpochMetrics>? history,
        IReadOnlyDictionary<string, int>? weightBits, long? fp32OnnxBytes)
    {
        ArgumentNullException.ThrowIfNull(graph);
        Network = graph.Name;
        Method = method;
        OnnxBytes = onnxBytes;
        Fp32OnnxBytes = fp32OnnxBytes ?? onnxBytes;
        History = history ?? Array.Empty<EpochMetrics>();
        Layers = graph.Layers.Select(l =>
        {
            int bits = weightBits is not null && weightBits.TryGetValue(l.Name, out int b) ? b : 32;
            long weights = l.ParameterNames.Contains("weight") ? l.ParameterShape("weight").Aggregate(1L, (a, d) => a * d) : 0;
            return new LayerReport(l.Name, l.Kind, graph.ShapeOf(l.Name), l.ParameterCount, l.Macs(graph.InputShapesOf(l), graph.ShapeOf(l.Name)), bits, weights);
        }).ToArray();
        Parameters = Layers.Sum(l => l.Parameters);
        Macs = Layers.Sum(l => l.Macs);
        ParameterBytes = Layers.Sum(l => l.ParameterBytes);
        LargestActivation = graph.Layers.Max(l => (long)graph.ShapeOf(l.Name).Aggregate(1, (a, d) => a * d));
        var quantized = Layers.Where(l => l.WeightBits < 32).ToList();
        QuantizedWeightBytes = quantized.Sum(l => (l.Weights * l.WeightBits + 7) / 8);
        QuantizedWeightFp32Bytes = quantized.Sum(l => l.Weights * 4);
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
    /// <summary>Size of the fp32 ONNX file of the network the method started from (equal to <see cref="OnnxBytes"/> for an fp32 model).</summary>
    public long Fp32OnnxBytes { get; }
    /// <summary><see cref="OnnxBytes"/> / <see cref="Fp32OnnxBytes"/>: how much of the fp32 file is left.</summary>
    public double OnnxRatio => (double)OnnxBytes / Fp32OnnxBytes;
    /// <summary>Bytes of the weight tensors of the quantized layers as stored (codes only; per-channel scales not counted).</summary>
    public long QuantizedWeightBytes { get; }
    /// <summary>Bytes the same weight tensors take as fp32.</summary>
    public long QuantizedWeightFp32Bytes { get; }
    /// <summary><see cref="QuantizedWeightBytes"/> / <see cref="QuantizedWeightFp32Bytes"/> (1 when nothing is quantized).</summary>
    public double QuantizedWeightRatio => QuantizedWeightFp32Bytes == 0 ? 1 : (double)QuantizedWeightBytes / QuantizedWeightFp32Bytes;
    /// <summary>Elements of the largest activation of one sample (runtime memory is dominated by activations).</summary>
    public long LargestActivation { get; }
    /// <summary>Per-layer rows.</summary>
    public IReadOnlyList<LayerReport> Layers { get; }
    /// <summary>Per-epoch metrics of the training that produced the model (empty if none).</summary>
    public IReadOnlyList<EpochMetrics> History { get; }
    /// <summary>
    /// Why the model is not the one the full run would have given, or null: set when a cancelled Fit returned a partial
    /// model (<see cref="Training.TrainingOptions.ReturnPartialModelOnCancel"/>), naming the phase that was cancelled and
    /// its last completed epoch (e.g. "Fine-tuning: cancelled after epoch 1 of 2; ..."; a pruning method cancelled
    /// before fine-tuning returns the pruned network, and later phases are noted as skipped).
    /// </summary>
    public string? PartialModel { get; internal set; }

    /// <inheritdoc />
    public override string ToString()
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(inv, $"{Network} ({Method}): {Parameters:N0} parameters, {ParameterBytes:N0} parameter bytes, {Macs:N0} MACs/sample, ONNX {OnnxBytes:N0} bytes ({OnnxRatio:P1} of fp32's {Fp32OnnxBytes:N0})");
        if (QuantizedWeightFp32Bytes > 0)
            sb.AppendLine(inv, $"quantized layers' weights: {QuantizedWeightBytes:N0} bytes vs {QuantizedWeightFp32Bytes:N0} as fp32 (1/{1 / QuantizedWeightRatio:F1})");
        sb.AppendLine(inv, $"{"layer",-16} {"kind",-13} {"output",-14} {"params",10} {"bytes",10} {"MACs",12} {"bits",4}");
        foreach (var l in Layers)
            sb.AppendLine(inv, $"{l.Name,-16} {l.Kind,-13} {Layer.Format(l.OutputShape),-14} {l.Parameters,10:N0} {l.ParameterBytes,10:N0} {l.Macs,12:N0} {l.WeightBits,4}");
        return sb.ToString();
    }
}
