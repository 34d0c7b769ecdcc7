using System;
using System.Collections.Generic;
using System.Linq;

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

    private static void CheckRate(double rate, string optionName)
    {
        if (!(rate >= 0 && rate < 1))
            throw new ArgumentOutOfRangeException(optionName, rate, $"{optionName} must be in [0, 1) (the fraction of channels to remove).");
    }
}
