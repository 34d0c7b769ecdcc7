using System.Globalization;

namespace Microsoft.ML.Compression.Sweeps;

/// <summary>A metric the sweep optimises: e.g. ("accuracy", maximise), ("bytes", minimise), ("latency_ms", minimise).</summary>
/// <param name="Metric">The name of the metric the evaluator reports.</param>
/// <param name="Maximize">True when larger is better.</param>
public sealed record SweepObjective(string Metric, bool Maximize)
{
    private readonly double _tolerance;

    /// <summary>
    /// Relative difference within which two values count as equal when one trial is compared with another (Pareto
    /// dominance), e.g. 0.03 for a latency that varies by a few percent between runs: a trial 1 % faster than another
    /// but otherwise no better does not push it off the front. Default 0 (exact).
    /// </summary>
    public double RelativeTolerance
    {
        get => _tolerance;
        init => _tolerance = value >= 0 && value < 1 ? value
            : throw new ArgumentOutOfRangeException(nameof(RelativeTolerance), value, "RelativeTolerance must be in [0, 1).");
    }

    /// <summary>The metric's value turned so that smaller is better (negated when maximised).</summary>
    internal double Loss(IReadOnlyDictionary<string, double> metrics) => Maximize ? -metrics[Metric] : metrics[Metric];

    /// <summary>-1 when <paramref name="a"/> is better than <paramref name="b"/> beyond the tolerance, 1 when worse, 0 when equal within it.</summary>
    internal int Compare(IReadOnlyDictionary<string, double> a, IReadOnlyDictionary<string, double> b)
    {
        double la = Loss(a), lb = Loss(b);
        if (Math.Abs(la - lb) <= RelativeTolerance * Math.Max(Math.Abs(la), Math.Abs(lb))) return 0;
        return la < lb ? -1 : 1;
    }

    /// <summary>"accuracy (max)", "latency_ms (min, ±3%)".</summary>
    public override string ToString() => RelativeTolerance == 0 ? $"{Metric} ({(Maximize ? "max" : "min")})"
        : string.Create(CultureInfo.InvariantCulture, $"{Metric} ({(Maximize ? "max" : "min")}, ±{RelativeTolerance * 100:0.###}%)");
}
