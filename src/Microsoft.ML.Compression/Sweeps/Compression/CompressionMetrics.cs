namespace Microsoft.ML.Compression.Sweeps;

/// <summary>The metrics every <see cref="CompressionSweep"/> trial reports, by name (objectives and constraints use them).</summary>
public static class CompressionMetrics
{
    /// <summary>Top-1 accuracy on the validation rows, scored by ONNX Runtime (0..1).</summary>
    public const string Accuracy = "accuracy";

    /// <summary>
    /// Points of accuracy lost against the starting model, scored the same way on the same rows (negative when the
    /// trial is more accurate): <c>AtMost(AccuracyDrop, 1)</c> keeps trials within one point of the start.
    /// </summary>
    public const string AccuracyDrop = "accuracy_drop";

    /// <summary>Bytes of the exported ONNX model.</summary>
    public const string Bytes = "bytes";

    /// <summary>ONNX bytes over the starting model's.</summary>
    public const string BytesRatio = "bytes_ratio";

    /// <summary>Parameters of the network.</summary>
    public const string Parameters = "params";

    /// <summary>Multiply-accumulates of one row.</summary>
    public const string Macs = "macs";

    /// <summary>ONNX Runtime milliseconds per batch (median of runs interleaved with the starting model's).</summary>
    public const string LatencyMs = "latency_ms";

    /// <summary>The starting model's milliseconds over the trial's, measured in the same runs.</summary>
    public const string SpeedUp = "speedup";

    /// <summary>
    /// The <see cref="SweepObjective.RelativeTolerance"/> a <see cref="CompressionSweep"/> gives an objective on
    /// <paramref name="metric"/> that sets none: 3% for latency and speed-up (run-to-run noise of interleaved medians
    /// on a shared machine), 0.1% for bytes (the metadata of two otherwise equal models differs by a few bytes), 0 for
    /// the rest.
    /// </summary>
    public static double DefaultTolerance(string metric) => metric switch
    {
        LatencyMs or SpeedUp => 0.03,
        Bytes or BytesRatio => 0.001,
        _ => 0,
    };
}
