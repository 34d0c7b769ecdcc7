namespace Microsoft.ML.Compression.Sweeps;

/// <summary>A metric the sweep optimises: e.g. ("accuracy", maximise), ("bytes", minimise), ("latency_ms", minimise).</summary>
/// <param name="Metric">The name of the metric the evaluator reports.</param>
/// <param name="Maximize">True when larger is better.</param>
public sealed record SweepObjective(string Metric, bool Maximize)
{
    /// <summary>The metric's value turned so that smaller is better (negated when maximised).</summary>
    internal double Loss(IReadOnlyDictionary<string, double> metrics) => Maximize ? -metrics[Metric] : metrics[Metric];

    /// <summary>"accuracy (max)".</summary>
    public override string ToString() => $"{Metric} ({(Maximize ? "max" : "min")})";
}
