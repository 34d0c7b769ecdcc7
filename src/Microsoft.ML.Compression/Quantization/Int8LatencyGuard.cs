using System.Globalization;
using Microsoft.ML.Compression.Analysis;
using Microsoft.ML.Compression.Compressed;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Onnx;

namespace Microsoft.ML.Compression.Quantization;

/// <summary>
/// Measures an int8 model against its fp32 model in ONNX Runtime (<see cref="Int8LatencyOptions.Check"/>) and, when
/// asked, keeps more layers float until int8 is no slower: the int8 layers with the fewest multiply-accumulates go
/// first (one, then two more, then four...), since they gain the least from integer kernels while their
/// quantize/dequantize steps still cost.
/// </summary>
internal static class Int8LatencyGuard
{
    /// <summary>A form measured faster than fp32 by less than this factor times the margin (Latency.MinSpeedUp) is timed twice before it is kept.</summary>
    internal const double CloseCall = 1.2;

    /// <summary>The model to export: <paramref name="int8"/>, or it with more layers float; <paramref name="log"/> and <paramref name="warn"/> get what was measured.</summary>
    public static CompressedNetwork Apply(CompressedNetwork int8, NetworkGraph fp32, float[] rows, Int8LatencyOptions options,
        Action<string> log, Action<string> warn)
    {
        if (options.Check == Int8LatencyCheck.Off || int8.Weights.Count == 0) return int8;
        int batch = rows.Length / fp32.InputSize;
        // The fp32 model loads once and is timed against every candidate.
        using var reference = OnnxRunner.Open(OnnxExporter.Export(fp32), options.Threads);
        // A model exported with a fixed batch (e.g. PyTorch's at batch 1, which the export keeps) runs only that many rows.
        if (OnnxRunner.FixedBatch(reference) is int f && f != batch)
        {
            if (f > batch)
            {
                warn($"The int8 model of {fp32.Name} was not timed: its input has a fixed batch of {f} rows, but only {batch} were given (Latency.BatchSize).");
                return int8;
            }
            (batch, rows) = (f, rows[..(f * fp32.InputSize)]);
        }
        string where = FormattableString.Invariant($"batch {batch}, {options.Threads} thread{(options.Threads == 1 ? "" : "s")}");
        // It runs by default, so it must stay quick on big models: about 20 ms of runs per timing, at least one run.
        double once = OnnxLatency.MedianMilliseconds(new[] { ("fp32", reference) }, rows, batch, rounds: 1, runsPerRound: 1)["fp32"];
        int runs = Math.Clamp((int)Math.Round(20 / Math.Max(once, 1e-3)), 1, 5), rounds = once > 200 ? 5 : 9;
        (double FloatMs, double Int8Ms) Measure(CompressedNetwork candidate)
        {
            using var session = OnnxRunner.Open(OnnxExporter.Export(candidate), options.Threads);
            var ms = OnnxLatency.MedianMilliseconds(new[] { ("fp32", reference), ("int8", session) }, rows, batch, rounds, runs);
            return (ms["fp32"], ms["int8"]);
        }
        // KeepSlowLayersFloat = false asks for every layer in int8: then the measurement only tells.
        return Choose(int8, Measure, options.KeepSlowLayersFloat ? options.Check : Int8LatencyCheck.Warn, options.MinSpeedUp, where, log, warn);
    }

    /// <summary>
    /// The method name an int8 step writes: "<paramref name="method"/>-int8", or "-float" when the check exported the
    /// float network (no layer was faster in int8), so the report and the ONNX metadata do not call a float model int8.
    /// </summary>
    public static string MethodName(string method, CompressedNetwork exported) => method + (exported.Weights.Count == 0 ? "-float" : "-int8");

    /// <summary>
    /// The decision of <see cref="Apply"/> given <paramref name="measure"/> (fp32 and int8 milliseconds of a candidate):
    /// the first candidate at least <paramref name="minSpeedUp"/> times as fast as fp32, else the float network with no
    /// quantization at all, so the check never returns a model slower than fp32 (as measured, with that margin).
    /// </summary>
    internal static CompressedNetwork Choose(CompressedNetwork int8, Func<CompressedNetwork, (double FloatMs, double Int8Ms)> measure,
        Int8LatencyCheck check, double minSpeedUp, string where, Action<string> log, Action<string> warn)
    {
        // A form about to be kept on a close call is timed again and judged by the less favourable timing: other work
        // on the machine can tilt one timing by 10 % or more (LeNet-5 once measured 1.10x at export, with both models
        // at half their speed, and 0.96x a moment later).
        (double, double) Judge(CompressedNetwork candidate)
        {
            var (f1, q1) = measure(candidate);
            double first = f1 / q1;
            if (check != Int8LatencyCheck.KeepFloatWhereSlower || first < minSpeedUp || first >= minSpeedUp * CloseCall) return (f1, q1);
            var (f2, q2) = measure(candidate);
            log(FormattableString.Invariant($"int8 measured {first:F2}x, a close call, so timed again: fp32 {f2:F3} ms, int8 {q2:F3} ms ({f2 / q2:F2}x); the lower counts."));
            return f2 / q2 < first ? (f2, q2) : (f1, q1);
        }

        var (f, q) = Judge(int8);
        double speedUp = f / q;
        log(FormattableString.Invariant($"ONNX Runtime latency ({where}): fp32 {f:F3} ms, int8 {q:F3} ms ({speedUp:F2}x)."));
        // Warn only reports a model measured slower; the margin is for what the check exports.
        if (speedUp >= minSpeedUp || (check == Int8LatencyCheck.Warn && speedUp >= 1)) return int8;
        if (speedUp >= 1)
            log(FormattableString.Invariant($"{speedUp:F2}x is within the {minSpeedUp:F2}x timing noise margin (Latency.MinSpeedUp): trying cheaper layers float."));
        if (check == Int8LatencyCheck.Warn)
        {
            warn(FormattableString.Invariant(
                $"The int8 model runs at {speedUp:F2}x the fp32 model's speed in ONNX Runtime ({where}: {q:F3} ms vs {f:F3} ms). ") +
                "Latency.Check = KeepFloatWhereSlower with KeepSlowLayersFloat = true keeps slow layers float; KeepFloatLayers names them.");
            return int8;
        }

        NetworkGraph graph = int8.Graph;
        CompressedNetwork candidate = int8, fastest = int8; // fastest: for the warning
        double fastestSpeedUp = speedUp;
        // One layer more each step, then two, four...: a network of n int8 layers takes about log2(n) timings, not n.
        for (int step = 1; NextToKeepFloat(candidate) is not null; step *= 2)
        {
            var layers = new List<string>();
            while (layers.Count < step && NextToKeepFloat(candidate) is Layer layer)
            {
                candidate = KeepFloat(candidate, layer.Name);
                layers.Add(layer.Name);
            }
            (f, q) = Judge(candidate);
            speedUp = f / q;
            log(FormattableString.Invariant($"{string.Join(", ", layers)} kept float: int8 now {q:F3} ms vs fp32 {f:F3} ms ({speedUp:F2}x)."));
            if (speedUp >= minSpeedUp) return candidate;
            if (speedUp > fastestSpeedUp) (fastest, fastestSpeedUp) = (candidate, speedUp);
        }
        // Nothing measured ran as fast as fp32: the float network itself does, with no quantize step left anywhere.
        // (Layers kept float one by one may still read quantized activations, e.g. behind a HardSwish, and the layers
        // whose inputs feed other int8 layers cannot be kept float alone.)
        warn(FormattableString.Invariant($"No int8 form of {graph.Name} measured ran {minSpeedUp:F2}x as fast as fp32 (Latency.MinSpeedUp) in ONNX Runtime ({where}); the best was {fastestSpeedUp:F2}x") +
            Form(fastest) +
            ". The model is exported in float, so it is not smaller either; set Check = Off (or Warn) to keep the int8 model.");
        return new CompressedNetwork(graph);
    }

    // How the fastest form the warning quotes differs from the float network.
    private static string Form(CompressedNetwork model) =>
        model.Weights.Count > 0 ? $" with {string.Join(", ", model.Weights.Keys)} in int8"
        : model.Activations.Count > 0 ? $" with every layer float but {model.Activations.Count} activation{(model.Activations.Count == 1 ? "" : "s")} still quantized ({string.Join(", ", model.Activations.Keys)})"
        : " with every layer float";

    // The int8 layer with the fewest multiply-accumulates whose input only float layers (or it) read: a float layer
    // reading a quantized tensor would be quantized by ONNX Runtime itself at load time.
    private static Layer? NextToKeepFloat(CompressedNetwork model)
    {
        NetworkGraph graph = model.Graph;
        return model.Weights.Keys.Select(name => graph[name])
            .Where(l => QuantizationPlan.ReadersOf(graph, l.Inputs[0]).All(r => r.Name == l.Name || (r is IWeightedLayer && !model.Weights.ContainsKey(r.Name))))
            .OrderBy(l => l.Macs(graph.InputShapesOf(l), graph.ShapeOf(l.Name))).ThenBy(l => l.Name, StringComparer.Ordinal).FirstOrDefault();
    }

    /// <summary>
    /// <paramref name="model"/> with <paramref name="layer"/>'s weights float (their int8-rounded values) and without the
    /// activation quantizers only float layers read now.
    /// </summary>
    public static CompressedNetwork KeepFloat(CompressedNetwork model, string layer)
    {
        NetworkGraph graph = model.Graph;
        var kept = graph.Layers.Where(l => l is IWeightedLayer && (l.Name == layer || !model.Weights.ContainsKey(l.Name)))
            .Select(l => l.Name).ToHashSet(StringComparer.Ordinal);
        var points = QuantizationPlan.ActivationPoints(graph, kept).ToHashSet(StringComparer.Ordinal);
        return new CompressedNetwork(graph,
            model.Weights.Where(e => !kept.Contains(e.Key)).ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal),
            model.Activations.Where(e => points.Contains(e.Key)).ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal));
    }
}
