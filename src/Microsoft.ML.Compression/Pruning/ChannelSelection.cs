namespace Microsoft.ML.Compression.Pruning;

/// <summary>Turns importance scores into the set of coupled channels to remove.</summary>
public static class ChannelSelection
{
    /// <summary>
    /// A global threshold (Network Slimming): the <paramref name="rate"/> fraction of scored channels with the lowest
    /// scores across all groups, except that no group keeps fewer than <paramref name="minimumChannels"/> channels
    /// (then the next-lowest channel elsewhere goes instead, while any remain).
    /// </summary>
    public static HashSet<int> GlobalThreshold(ChannelDependencies dependencies, IReadOnlyDictionary<int, double> scores, double rate, int minimumChannels = 1)
    {
        ArgumentNullException.ThrowIfNull(dependencies);
        ArgumentNullException.ThrowIfNull(scores);
        CheckRate(rate, nameof(rate));
        if (minimumChannels < 1) throw new ArgumentOutOfRangeException(nameof(minimumChannels), minimumChannels, "Every layer must keep at least 1 channel.");
        int target = (int)Math.Round(rate * scores.Count, MidpointRounding.AwayFromZero);
        int[] left = dependencies.Groups.Select(g => g.Width).ToArray();
        var removed = new HashSet<int>();
        foreach (var (id, _) in scores.OrderBy(s => s.Value).ThenBy(s => s.Key))
        {
            if (removed.Count >= target) break;
            int group = dependencies.Channels[id].Group;
            if (left[group] <= minimumChannels) continue;
            left[group]--;
            removed.Add(id);
        }
        return removed;
    }

    /// <summary>
    /// A per-layer rate (L1-norm filter pruning): in every group, the round(<paramref name="rate"/> x width) channels
    /// with the lowest scores. With a <paramref name="multiple"/> above 1 each group keeps the width
    /// <see cref="RoundWidth"/> gives (about the rate, never less than one multiple); with 1 the count is exact, and
    /// a rate that would remove all of a group's channels throws, naming the layer.
    /// </summary>
    public static HashSet<int> PerGroup(ChannelDependencies dependencies, IReadOnlyDictionary<int, double> scores, double rate, string optionName = "rate",
        int multiple = 1) =>
        PerGroup(dependencies, scores, _ => rate, optionName, multiple);

    /// <summary>
    /// <see cref="PerGroup(ChannelDependencies, IReadOnlyDictionary{int, double}, double, string, int)"/> with a rate of
    /// its own for each group (<paramref name="rateOf"/>), e.g. from a per-layer sensitivity table.
    /// </summary>
    public static HashSet<int> PerGroup(ChannelDependencies dependencies, IReadOnlyDictionary<int, double> scores, Func<ChannelGroup, double> rateOf,
        string optionName = "rate", int multiple = 1)
    {
        ArgumentNullException.ThrowIfNull(dependencies);
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(rateOf);
        foreach (ChannelGroup group in dependencies.Groups) CheckRate(rateOf(group), optionName);
        CheckMultiple(multiple);
        if (PerGroupWidths(dependencies, rateOf, multiple) is { } kept) return LowestOf(dependencies, scores, kept);
        ChannelGroup emptied = dependencies.Groups.First(g => (int)Math.Round(rateOf(g) * g.Width, MidpointRounding.AwayFromZero) >= g.Width);
        double rate = rateOf(emptied);
        throw new ArgumentOutOfRangeException(optionName, rate,
            $"{optionName} {rate} would remove all {emptied.Width} channels of '{emptied.Name}'; use a rate below {(emptied.Width - 0.5) / emptied.Width:0.###} or exclude the layer.");
    }

    /// <summary><see cref="PerGroup(ChannelDependencies, IReadOnlyDictionary{int, double}, double, string, int)"/>, or null where it would throw because an exact rate empties a group.</summary>
    internal static HashSet<int>? TryPerGroup(ChannelDependencies dependencies, IReadOnlyDictionary<int, double> scores, double rate, int multiple) =>
        PerGroupWidths(dependencies, _ => rate, multiple) is { } kept ? LowestOf(dependencies, scores, kept) : null;

    /// <summary>The width each group keeps under <see cref="PerGroup(ChannelDependencies, IReadOnlyDictionary{int, double}, double, string, int)"/>; null when an exact rate (multiple 1) would empty a group.</summary>
    internal static int[]? PerGroupWidths(ChannelDependencies dependencies, Func<ChannelGroup, double> rateOf, int multiple)
    {
        var kept = new int[dependencies.Groups.Count];
        foreach (ChannelGroup group in dependencies.Groups)
        {
            int left = group.Width - (int)Math.Round(rateOf(group) * group.Width, MidpointRounding.AwayFromZero);
            if (left <= 0 && multiple == 1) return null;
            kept[group.Index] = RoundWidth(group.Width, left, multiple);
        }
        return kept;
    }

    /// <summary>
    /// The multiple a group of <paramref name="width"/> channels is rounded to: <paramref name="multiple"/>, halved
    /// (rounding down) while the group is narrower than two multiples, so that small layers still prune: with 8, a
    /// layer of 16 or more channels keeps multiples of 8, one of 8 to 15 multiples of 4, one of 4 to 7 multiples of 2.
    /// </summary>
    public static int MultipleFor(int width, int multiple)
    {
        CheckMultiple(multiple);
        while (multiple > 1 && width < 2 * multiple) multiple /= 2;
        return multiple;
    }

    /// <summary>
    /// The width a group of <paramref name="width"/> channels keeps instead of <paramref name="kept"/>: the nearest of
    /// the multiples of <see cref="MultipleFor"/> up to the width and the full width itself, a tie going to the larger
    /// (so the overall rate is about the one asked for), and never fewer than one multiple. E.g. with 8: 40 channels
    /// at rate 0.3 keep 28, which rounds to 32 (the tie between 24 and 32 goes up); 20 channels keeping 19 stay at 20.
    /// </summary>
    public static int RoundWidth(int width, int kept, int multiple)
    {
        int m = MultipleFor(width, multiple);
        if (kept >= width) return width;
        if (kept <= m) return Math.Min(m, width);
        int lower = kept / m * m, upper = Math.Min(width, lower + m);
        return kept - lower < upper - kept ? lower : upper;
    }

    // In every group, the channels beyond its kept width with the lowest scores.
    private static HashSet<int> LowestOf(ChannelDependencies dependencies, IReadOnlyDictionary<int, double> scores, int[] kept)
    {
        var removed = new HashSet<int>();
        foreach (ChannelGroup group in dependencies.Groups)
            foreach (CoupledChannel c in group.Channels.OrderBy(c => scores.GetValueOrDefault(c.Id)).ThenBy(c => c.Id).Take(group.Width - kept[group.Index]))
                removed.Add(c.Id);
        return removed;
    }

    /// <summary>
    /// Rounds every group's kept width to the nearest the <paramref name="multiple"/> allows (<see cref="RoundWidth"/>;
    /// up when that would leave fewer than <paramref name="minimumChannels"/>): gives back the highest-scored removed
    /// channels, or removes the lowest-scored kept ones. ONNX Runtime's CPU convolutions run much faster on widths
    /// that are multiples of 8 than on odd ones. A multiple of 1 changes nothing.
    /// </summary>
    public static HashSet<int> RoundKept(ChannelDependencies dependencies, IReadOnlySet<int> removed, IReadOnlyDictionary<int, double> scores, int multiple,
        int minimumChannels = 1)
    {
        ArgumentNullException.ThrowIfNull(dependencies);
        ArgumentNullException.ThrowIfNull(removed);
        ArgumentNullException.ThrowIfNull(scores);
        CheckMultiple(multiple);
        var result = new HashSet<int>(removed);
        foreach (ChannelGroup group in dependencies.Groups)
        {
            int kept = group.Channels.Count(c => !result.Contains(c.Id));
            int target = RoundWidth(group.Width, kept, multiple);
            if (target < Math.Min(minimumChannels, kept))
            {
                int m = MultipleFor(group.Width, multiple);
                target = Math.Min(group.Width, (minimumChannels + m - 1) / m * m);
            }
            if (target > kept)
                foreach (CoupledChannel c in group.Channels.Where(c => result.Contains(c.Id)).OrderByDescending(c => scores.GetValueOrDefault(c.Id)).ThenBy(c => c.Id).Take(target - kept))
                    result.Remove(c.Id);
            else
                foreach (CoupledChannel c in group.Channels.Where(c => !result.Contains(c.Id)).OrderBy(c => scores.GetValueOrDefault(c.Id)).ThenBy(c => c.Id).Take(kept - target))
                    result.Add(c.Id);
        }
        return result;
    }

    private static void CheckMultiple(int multiple)
    {
        if (multiple < 1) throw new ArgumentOutOfRangeException(nameof(multiple), multiple, "The channel multiple must be at least 1.");
    }

    private static void CheckRate(double rate, string optionName)
    {
        if (!(rate >= 0 && rate < 1))
            throw new ArgumentOutOfRangeException(optionName, rate, $"{optionName} must be in [0, 1) (the fraction of channels to remove).");
    }
}
