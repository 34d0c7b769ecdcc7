using System.Globalization;

namespace Microsoft.ML.Compression.Pruning;

/// <summary>
/// Target-driven pruning: the prune rate whose selection brings a network's multiply-accumulates, its parameter count,
/// or both down to their targets. Every method's selection (per-layer or global, rounded to the channel multiple)
/// removes more as the rate grows, so MACs and parameters after pruning fall in steps as the rate rises; a bisection
/// over the rate finds the smallest rate whose step meets every target, which is the selection closest to the targets
/// from below. Deterministic: both are counted on the analysed graph's shapes
/// (<see cref="ChannelDependencies.PredictedMacs"/>, <see cref="ChannelDependencies.PredictedParameterCount"/>), not measured.
/// </summary>
public static class PruningTarget
{
    /// <summary>The highest rate the search tries.</summary>
    public const double MaxRate = 0.99;

    // 2^-40 of the rate range: far finer than any width step of a real network.
    private const int Steps = 40;

    /// <summary>What a pruned network may keep, as fractions in (0, 1] of the analysed network's MACs and parameters; null sets no limit.</summary>
    /// <param name="Macs">The fraction of the multiply-accumulates to keep at most.</param>
    /// <param name="Parameters">The fraction of the parameters (so of the weight bytes) to keep at most.</param>
    public sealed record Budget(double? Macs, double? Parameters)
    {
        /// <summary>"48 % of the MACs and 33 % of the parameters", for notes and messages.</summary>
        public override string ToString() => string.Join(" and ", new[]
        {
            Macs is { } m ? string.Format(CultureInfo.InvariantCulture, "{0:P0} of the MACs", m) : null,
            Parameters is { } p ? string.Format(CultureInfo.InvariantCulture, "{0:P0} of the parameters", p) : null,
        }.Where(s => s is not null));

        /// <summary>The most MACs and parameters a pruned <paramref name="graph"/> may keep (<see cref="long.MaxValue"/> where no limit is set).</summary>
        internal (long Macs, long Parameters) Limits(Graph.NetworkGraph graph) =>
            (Limit(Macs, graph.Macs, nameof(Macs)), Limit(Parameters, graph.ParameterCount, nameof(Parameters)));

        /// <summary>This budget with each fraction raised to <paramref name="power"/>: round r of R of an iterative method keeps fraction^(r/R).</summary>
        internal Budget Pow(double power) => new(Macs is { } m ? Math.Pow(m, power) : null, Parameters is { } p ? Math.Pow(p, power) : null);
    }

    /// <summary>What <see cref="Find"/> chose.</summary>
    /// <param name="Rate">The prune rate that produced <paramref name="Removed"/>.</param>
    /// <param name="Removed">The coupled channels to remove.</param>
    /// <param name="Macs">The network's MACs without them.</param>
    /// <param name="Parameters">The network's parameter count without them.</param>
    /// <param name="Reached">False when even the highest rate leaves more than a target (then it is the highest rate's selection).</param>
    public sealed record Result(double Rate, HashSet<int> Removed, long Macs, long Parameters, bool Reached);

    /// <summary>
    /// The per-layer rate (<see cref="ChannelSelection.PerGroup(ChannelDependencies, IReadOnlyDictionary{int, double}, double, string, int)"/>,
    /// widths rounded to <paramref name="multiple"/>) that keeps at most <paramref name="budget"/> of the analysed
    /// network. The widths, so the rate, do not depend on <paramref name="scores"/>, only which channels go.
    /// </summary>
    public static Result PerGroup(ChannelDependencies dependencies, IReadOnlyDictionary<int, double> scores, Budget budget, int multiple)
    {
        ArgumentNullException.ThrowIfNull(dependencies);
        ArgumentNullException.ThrowIfNull(scores);
        return Find(dependencies, rate => ChannelSelection.TryPerGroup(dependencies, scores, rate, multiple), budget);
    }

    /// <summary>
    /// The global-threshold rate (<see cref="ChannelSelection.GlobalThreshold"/> then <see cref="ChannelSelection.RoundKept"/>)
    /// that keeps at most <paramref name="budget"/> of the analysed network.
    /// </summary>
    public static Result Global(ChannelDependencies dependencies, IReadOnlyDictionary<int, double> scores, Budget budget, int multiple, int minimumChannels = 1)
    {
        ArgumentNullException.ThrowIfNull(dependencies);
        ArgumentNullException.ThrowIfNull(scores);
        return Find(dependencies, rate => ChannelSelection.RoundKept(dependencies,
            ChannelSelection.GlobalThreshold(dependencies, scores, rate, minimumChannels), scores, multiple, minimumChannels), budget);
    }

    /// <summary>
    /// The smallest rate in [0, <see cref="MaxRate"/>] whose <paramref name="select"/> keeps at most
    /// <paramref name="budget"/> of the analysed network, or the highest selectable rate when none does.
    /// <paramref name="select"/> returns null for a rate it cannot apply (an exact rate that would empty a layer);
    /// those count as too high.
    /// </summary>
    public static Result Find(ChannelDependencies dependencies, Func<double, HashSet<int>?> select, Budget budget)
    {
        ArgumentNullException.ThrowIfNull(dependencies);
        ArgumentNullException.ThrowIfNull(select);
        ArgumentNullException.ThrowIfNull(budget);
        (long maxMacs, long maxParameters) = budget.Limits(dependencies.Graph);
        Result? At(double rate) => select(rate) is not { } removed ? null
            : new(rate, removed, dependencies.PredictedMacs(removed), dependencies.PredictedParameterCount(removed), false);
        bool Meets(Result? r) => r is not null && r.Macs <= maxMacs && r.Parameters <= maxParameters;

        // Low: over budget and selectable; high: within it, or not selectable.
        Result low = At(0) ?? throw new InvalidOperationException("The selection must accept a rate of 0.");
        if (Meets(low)) return low with { Reached = true };
        Result? high = At(MaxRate);
        if (high is not null && !Meets(high)) return high;
        double lowRate = 0, highRate = MaxRate;
        for (int i = 0; i < Steps; i++)
        {
            double middle = (lowRate + highRate) / 2;
            Result? pick = At(middle);
            if (pick is not null && !Meets(pick)) (lowRate, low) = (middle, pick);
            else (highRate, high) = (middle, pick);
        }
        return high is not null ? high with { Reached = true } : low;
    }

    private static long Limit(double? fraction, long total, string what)
    {
        if (fraction is not { } f) return long.MaxValue;
        if (!(f > 0 && f <= 1))
            throw new ArgumentOutOfRangeException(nameof(fraction), f, $"The fraction of {what} to keep must be in (0, 1].");
        return (long)Math.Floor(f * total);
    }
}
