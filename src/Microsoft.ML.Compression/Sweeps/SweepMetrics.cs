namespace Microsoft.ML.Compression.Sweeps;

/// <summary>
/// What an evaluator reports for a trial: metric name → value, e.g.
/// <c>new SweepMetrics { ["accuracy"] = 0.91, ["bytes"] = 104_233 }</c>. Every objective and constraint metric must
/// be present; other metrics are kept in the results too.
/// </summary>
public sealed class SweepMetrics : Dictionary<string, double>
{
    /// <summary>No metrics yet.</summary>
    public SweepMetrics() : base(StringComparer.Ordinal) { }

    /// <summary>A copy of <paramref name="metrics"/>.</summary>
    public SweepMetrics(IEnumerable<KeyValuePair<string, double>> metrics) : base(metrics, StringComparer.Ordinal) { }
}
