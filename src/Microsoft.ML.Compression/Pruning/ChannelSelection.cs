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
    /// with the lowest scores. Throws, naming the layer, when that would remove all of a group's channels.
    /// </summary>
    public static HashSet<int> PerGroup(ChannelDependencies dependencies, IReadOnlyDictionary<int, double> scores, double rate, string optionName = "rate")
    {
        ArgumentNullException.ThrowIfNull(dependencies);
        ArgumentNullException.ThrowIfNull(scores);
        CheckRate(rate, optionName);
        var removed = new HashSet<int>();
        foreach (ChannelGroup group in dependencies.Groups)
        {
            int count = (int)Math.Round(rate * group.Width, MidpointRounding.AwayFromZero);
            if (count >= group.Width)
                throw new ArgumentOutOfRangeException(optionName, rate,
                    $"{optionName} {rate} would remove all {group.Width} channels of '{group.Name}'; use a rate below {(group.Width - 0.5) / group.Width:0.###} or exclude the layer.");
            foreach (CoupledChannel c in group.Channels.OrderBy(c => scores.GetValueOrDefault(c.Id)).ThenBy(c => c.Id).Take(count))
                removed.Add(c.Id);
        }
        return removed;
    }

    /// <summary>
    /// Gives back removed channels so that every group keeps a multiple of <paramref name="multiple"/> channels (or all
    /// of them), restoring the highest-scored first: ONNX Runtime's CPU convolutions run much faster on widths that
    /// are multiples of 8 than on odd ones.
    /// </summary>
    public static HashSet<int> RoundKept(ChannelDependencies dependencies, IReadOnlySet<int> removed, IReadOnlyDictionary<int, double> scores, int multiple)
    {
        ArgumentNullException.ThrowIfNull(dependencies);
        ArgumentNullException.ThrowIfNull(removed);
        ArgumentNullException.ThrowIfNull(scores);
        if (multiple < 1) throw new ArgumentOutOfRangeException(nameof(multiple), multiple, "The channel multiple must be at least 1.");
        var result = new HashSet<int>(removed);
        foreach (ChannelGroup group in dependencies.Groups)
        {
            var gone = group.Channels.Where(c => result.Contains(c.Id)).OrderByDescending(c => scores.GetValueOrDefault(c.Id)).ThenBy(c => c.Id).ToList();
            int kept = group.Width - gone.Count;
            int target = Math.Min(group.Width, (kept + multiple - 1) / multiple * multiple);
            foreach (CoupledChannel c in gone.Take(target - kept)) result.Remove(c.Id);
        }
        return result;
    }

    private static void CheckRate(double rate, string optionName)
    {
        if (!(rate >= 0 && rate < 1))
            throw new ArgumentOutOfRangeException(optionName, rate, $"{optionName} must be in [0, 1) (the fraction of channels to remove).");
    }
}
