namespace Microsoft.ML.Compression.Pruning;

/// <summary>
/// Target-driven pruning: the prune rate whose selection brings a network's multiply-accumulates down to a target.
/// Every method's selection (per-layer or global, rounded to the channel multiple) removes more as the rate grows, so
/// the MACs after pruning fall in steps as the rate rises; a bisection over the rate finds the smallest rate whose
/// step is at or below the target, which is the selection closest to the target from below. Deterministic: the
/// MACs are counted on the analysed graph's shapes (<see cref="ChannelDependencies.PredictedMacs"/>), not measured.
/// </summary>
public static class MacTarget
{
    /// <summary>The highest rate the search tries.</summary>
    public const double MaxRate = 0.99;

    // 2^-40 of the rate range: far finer than any width step of a real network.
    private const int Steps = 40;

    /// <summary>What <see cref="Find"/> chose.</summary>
    /// <param name="Rate">The prune rate that produced <paramref name="Removed"/>.</param>
    /// <param name="Removed">The coupled channels to remove.</param>
    /// <param name="Macs">The network's MACs without them.</param>
    /// <param name="Reached">False when even the highest rate leaves more MACs than the target (then it is the highest rate's selection).</param>
    public sealed record Result(double Rate, HashSet<int> Removed, long Macs, bool Reached);

    /// <summary>
    /// The per-layer rate (<see cref="ChannelSelection.PerGroup(ChannelDependencies, IReadOnlyDictionary{int, double}, double, string, int)"/>, widths rounded to <paramref name="multiple"/>) that
    /// keeps at most <paramref name="fraction"/> of the analysed network's MACs. The widths, so the rate, do not
    /// depend on <paramref name="scores"/>, only which channels go.
    /// </summary>
    public static Result PerGroup(ChannelDependencies dependencies, IReadOnlyDictionary<int, double> scores, double fraction, int multiple)
    {
        ArgumentNullException.ThrowIfNull(dependencies);
        ArgumentNullException.ThrowIfNull(scores);
        return Find(dependencies, rate => ChannelSelection.TryPerGroup(dependencies, scores, rate, multiple), TargetOf(dependencies, fraction));
    }

    /// <summary>
    /// The global-threshold rate (<see cref="ChannelSelection.GlobalThreshold"/> then <see cref="ChannelSelection.RoundKept"/>)
    /// that keeps at most <paramref name="fraction"/> of the analysed network's MACs.
    /// </summary>
    public static Result Global(ChannelDependencies dependencies, IReadOnlyDictionary<int, double> scores, double fraction, int multiple, int minimumChannels = 1)
    {
        ArgumentNullException.ThrowIfNull(dependencies);
        ArgumentNullException.ThrowIfNull(scores);
        return Find(dependencies, rate => ChannelSelection.RoundKept(dependencies,
            ChannelSelection.GlobalThreshold(dependencies, scores, rate, minimumChannels), scores, multiple, minimumChannels), TargetOf(dependencies, fraction));
    }

    private static long TargetOf(ChannelDependencies dependencies, double fraction)
    {
        if (!(fraction > 0 && fraction <= 1))
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "The fraction of MACs to keep must be in (0, 1].");
        return (long)Math.Floor(fraction * dependencies.Graph.Macs);
    }

    /// <summary>
    /// The smallest rate in [0, <see cref="MaxRate"/>] whose <paramref name="select"/> leaves at most
    /// <paramref name="targetMacs"/> MACs, or the highest selectable rate when none does. <paramref name="select"/>
    /// returns null for a rate it cannot apply (an exact rate that would empty a layer); those count as too high.
    /// </summary>
    public static Result Find(ChannelDependencies dependencies, Func<double, HashSet<int>?> select, long targetMacs)
    {
        ArgumentNullException.ThrowIfNull(dependencies);
        ArgumentNullException.ThrowIfNull(select);
        if (targetMacs < 0) throw new ArgumentOutOfRangeException(nameof(targetMacs), targetMacs, "The MAC target must be >= 0.");
        (HashSet<int>? Removed, long Macs) At(double rate) => select(rate) is { } removed ? (removed, dependencies.PredictedMacs(removed)) : (null, long.MaxValue);
        // Low: unreachable and selectable; high: reached, or not selectable.
        double low = 0, high = MaxRate;
        var lowPick = At(low);
        if (lowPick.Removed is null) throw new InvalidOperationException("The selection must accept a rate of 0.");
        if (lowPick.Macs <= targetMacs) return new(0, lowPick.Removed, lowPick.Macs, true);
        var highPick = At(high);
        if (highPick.Removed is not null && highPick.Macs > targetMacs) return new(high, highPick.Removed, highPick.Macs, false);
        for (int i = 0; i < Steps; i++)
        {
            double middle = (low + high) / 2;
            var pick = At(middle);
            if (pick.Removed is not null && pick.Macs > targetMacs) (low, lowPick) = (middle, pick);
            else (high, highPick) = (middle, pick);
        }
        return highPick.Removed is not null
            ? new(high, highPick.Removed, highPick.Macs, true)
            : new(low, lowPick.Removed!, lowPick.Macs, false);
    }
}
