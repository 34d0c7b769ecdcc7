namespace Microsoft.ML.Compression.Sweeps;

/// <summary>Pareto dominance and non-dominated sets over named metrics.</summary>
public static class ParetoFront
{
    /// <summary>
    /// Whether <paramref name="a"/> dominates <paramref name="b"/>: at least as good in every objective and better
    /// in one, values within an objective's <see cref="SweepObjective.RelativeTolerance"/> counting as equal.
    /// </summary>
    public static bool Dominates(IReadOnlyDictionary<string, double> a, IReadOnlyDictionary<string, double> b, IReadOnlyList<SweepObjective> objectives)
    {
        bool better = false;
        foreach (SweepObjective o in objectives)
        {
            int c = o.Compare(a, b);
            if (c > 0) return false;
            if (c < 0) better = true;
        }
        return better;
    }

    /// <summary>The indices (ascending) of the points no other point dominates; equal points are all kept.</summary>
    public static IReadOnlyList<int> Of(IReadOnlyList<IReadOnlyDictionary<string, double>> points, IReadOnlyList<SweepObjective> objectives)
    {
        ArgumentNullException.ThrowIfNull(points);
        CheckObjectives(objectives);
        return Enumerable.Range(0, points.Count)
            .Where(i => !Enumerable.Range(0, points.Count).Any(j => j != i && Dominates(points[j], points[i], objectives)))
            .ToList();
    }

    /// <summary>The items whose metrics no other item's dominate, in their original order.</summary>
    public static IReadOnlyList<T> Of<T>(IEnumerable<T> items, Func<T, IReadOnlyDictionary<string, double>> metrics, IReadOnlyList<SweepObjective> objectives)
    {
        List<T> list = items.ToList();
        return Of(list.Select(metrics).ToList(), objectives).Select(i => list[i]).ToList();
    }

    /// <summary>
    /// Non-dominated sorting (NSGA-II's fronts): rank 0 for the front, 1 for the front of what is left, and so on.
    /// </summary>
    public static int[] Ranks(IReadOnlyList<IReadOnlyDictionary<string, double>> points, IReadOnlyList<SweepObjective> objectives)
    {
        CheckObjectives(objectives);
        var rank = Enumerable.Repeat(-1, points.Count).ToArray();
        for (int level = 0, left = points.Count; left > 0; level++)
        {
            var front = Enumerable.Range(0, points.Count)
                .Where(i => rank[i] < 0 && !Enumerable.Range(0, points.Count).Any(j => j != i && rank[j] < 0 && Dominates(points[j], points[i], objectives)))
                .ToList();
            foreach (int i in front) rank[i] = level;
            left -= front.Count;
        }
        return rank;
    }

    /// <summary>
    /// NSGA-II's crowding distance of each of <paramref name="points"/> (one front): for every objective, the points at
    /// either end get infinity and the others the gap between their two neighbours, as a fraction of the objective's
    /// range, summed over the objectives. Larger means more isolated: the ends and the sparse parts of the front.
    /// </summary>
    public static double[] CrowdingDistances(IReadOnlyList<IReadOnlyDictionary<string, double>> points, IReadOnlyList<SweepObjective> objectives)
    {
        ArgumentNullException.ThrowIfNull(points);
        CheckObjectives(objectives);
        var distance = new double[points.Count];
        foreach (SweepObjective o in objectives)
        {
            int[] order = Enumerable.Range(0, points.Count).OrderBy(i => o.Loss(points[i])).ThenBy(i => i).ToArray();
            if (order.Length == 0) break;
            double lo = o.Loss(points[order[0]]), range = o.Loss(points[order[^1]]) - lo;
            distance[order[0]] = distance[order[^1]] = double.PositiveInfinity;
            for (int k = 1; k < order.Length - 1; k++)
                if (range > 0) distance[order[k]] += (o.Loss(points[order[k + 1]]) - o.Loss(points[order[k - 1]])) / range;
        }
        return distance;
    }

    private static void CheckObjectives(IReadOnlyList<SweepObjective> objectives)
    {
        ArgumentNullException.ThrowIfNull(objectives);
        if (objectives.Count == 0) throw new ArgumentException("A Pareto front needs at least one objective.", nameof(objectives));
    }
}
