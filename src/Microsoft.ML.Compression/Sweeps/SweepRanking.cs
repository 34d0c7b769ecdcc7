namespace Microsoft.ML.Compression.Sweeps;

/// <summary>
/// How trials compare, for tuners, promotions and the best result: completed before failed, feasible before
/// infeasible, infeasible by less violation, then (among feasible) by Pareto rank and the first objective.
/// </summary>
internal static class SweepRanking
{
    /// <summary>Whether <paramref name="a"/> is better than <paramref name="b"/> on the first objective (feasible first).</summary>
    public static bool Better(SweepTrial a, SweepTrial b, IReadOnlyList<SweepObjective> objectives) => Compare(a, b, objectives[0]) < 0;

    /// <summary>Single-objective order: failed last, infeasible after feasible (by violation), then by the objective.</summary>
    public static int Compare(SweepTrial a, SweepTrial b, SweepObjective objective)
    {
        int c = Group(a).CompareTo(Group(b));
        if (c != 0) return c;
        if (!a.Succeeded) return 0;
        if (!a.Feasible && a.Violation != b.Violation) return a.Violation.CompareTo(b.Violation);
        return objective.Loss(a.Metrics).CompareTo(objective.Loss(b.Metrics));
    }

    /// <summary>
    /// <paramref name="trials"/> best first: feasible by Pareto rank among the feasible, within a rank by crowding
    /// distance (NSGA-II's selection, as multi-objective ASHA promotes: the ends and sparse parts of a front first, so
    /// promotions spread along it instead of all going to its most accurate end), then first objective; then
    /// infeasible by violation, then failed; ties keep trial order.
    /// </summary>
    public static List<SweepTrial> Order(IReadOnlyList<SweepTrial> trials, IReadOnlyList<SweepObjective> objectives)
    {
        List<SweepTrial> feasible = trials.Where(t => t.Feasible).ToList();
        int[] ranks = ParetoFront.Ranks(feasible.Select(t => t.Metrics).ToList(), objectives);
        var rankOf = feasible.Select((t, i) => (t.Id, ranks[i])).ToDictionary(p => p.Id, p => p.Item2);
        var crowding = new Dictionary<int, double>();
        foreach (var front in feasible.GroupBy(t => rankOf[t.Id]))
        {
            List<SweepTrial> members = front.ToList();
            double[] d = ParetoFront.CrowdingDistances(members.Select(t => t.Metrics).ToList(), objectives);
            for (int i = 0; i < members.Count; i++) crowding[members[i].Id] = d[i];
        }
        return trials.OrderBy(Group)
            .ThenBy(t => t.Feasible ? rankOf[t.Id] : 0)
            .ThenByDescending(t => objectives.Count > 1 && t.Feasible ? crowding[t.Id] : 0)
            .ThenBy(t => t.Feasible || !t.Succeeded ? 0 : t.Violation)
            .ThenBy(t => t.Succeeded ? objectives[0].Loss(t.Metrics) : 0)
            .ThenBy(t => t.Id)
            .ToList();
    }

    private static int Group(SweepTrial t) => !t.Succeeded ? 2 : t.Feasible ? 0 : 1;
}
