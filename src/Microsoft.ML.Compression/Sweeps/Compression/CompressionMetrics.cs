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
}
