using System.Globalization;

namespace Microsoft.ML.Compression.Sweeps;

/// <summary>
/// A bound a trial's metric must meet to be feasible, e.g. accuracy at least 0.98 (INC's accuracy criterion) or
/// bytes at most 200,000. A trial is feasible when all constraints hold.
/// </summary>
public sealed record SweepConstraint
{
    private SweepConstraint(string metric, double bound, bool lower)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(metric);
        if (!double.IsFinite(bound)) throw new ArgumentOutOfRangeException(nameof(bound), bound, $"The bound on '{metric}' must be a finite number.");
        Metric = metric;
        Bound = bound;
        IsLowerBound = lower;
    }

    /// <summary>The constrained metric.</summary>
    public string Metric { get; }

    /// <summary>The bound.</summary>
    public double Bound { get; }

    /// <summary>True for <see cref="AtLeast"/>, false for <see cref="AtMost"/>.</summary>
    public bool IsLowerBound { get; }

    /// <summary><paramref name="metric"/> must be at least <paramref name="value"/>.</summary>
    public static SweepConstraint AtLeast(string metric, double value) => new(metric, value, true);

    /// <summary><paramref name="metric"/> must be at most <paramref name="value"/>.</summary>
    public static SweepConstraint AtMost(string metric, double value) => new(metric, value, false);

    /// <summary>Whether <paramref name="metrics"/> meet the bound (a missing or NaN metric does not).</summary>
    public bool IsSatisfied(IReadOnlyDictionary<string, double> metrics) => Violation(metrics) == 0;

    /// <summary>
    /// How far <paramref name="metrics"/> miss the bound, relative to the bound's size (|bound|, or 1 for a bound
    /// of 0), so violations of different metrics add up comparably; 0 when met, infinity when the metric is missing.
    /// </summary>
    public double Violation(IReadOnlyDictionary<string, double> metrics)
    {
        if (!metrics.TryGetValue(Metric, out double x) || double.IsNaN(x)) return double.PositiveInfinity;
        double miss = IsLowerBound ? Bound - x : x - Bound;
        return miss <= 0 ? 0 : miss / (Bound == 0 ? 1 : Math.Abs(Bound));
    }

    /// <summary>"accuracy >= 0.98".</summary>
    public override string ToString() => $"{Metric} {(IsLowerBound ? ">=" : "<=")} {Bound.ToString("R", CultureInfo.InvariantCulture)}";

    /// <summary>Total violation of <paramref name="constraints"/> (0 = feasible).</summary>
    internal static double TotalViolation(IEnumerable<SweepConstraint> constraints, IReadOnlyDictionary<string, double> metrics) =>
        constraints.Sum(c => c.Violation(metrics));
}
