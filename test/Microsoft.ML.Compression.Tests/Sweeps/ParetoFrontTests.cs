using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.Compression.Sweeps;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Compression.Tests.Sweeps;

/// <summary>Dominance and fronts on a hand-made point set whose non-dominated subset is known.</summary>
[TestClass]
public class ParetoFrontTests
{
    private static readonly SweepObjective[] Objectives = { new("accuracy", true), new("bytes", false) };

    private static IReadOnlyDictionary<string, double> P(double accuracy, double bytes) => new SweepMetrics { ["accuracy"] = accuracy, ["bytes"] = bytes };

    [TestMethod]
    public void FrontIsTheNonDominatedSubset()
    {
        var points = new List<IReadOnlyDictionary<string, double>>
        {
            P(0.90, 100), // 0 front (smallest)
            P(0.95, 200), // 1 front
            P(0.85, 150), // 2 dominated by 0
            P(0.95, 250), // 3 dominated by 1 (same accuracy, larger)
            P(0.99, 400), // 4 front (most accurate)
            P(0.90, 100), // 5 equal to 0: neither dominates, both kept
            P(0.80, 500), // 6 dominated by everything on the front
        };
        CollectionAssert.AreEqual(new[] { 0, 1, 4, 5 }, ParetoFront.Of(points, Objectives).ToArray());
        Assert.IsTrue(ParetoFront.Dominates(points[1], points[3], Objectives));
        Assert.IsFalse(ParetoFront.Dominates(points[0], points[5], Objectives));
        Assert.IsFalse(ParetoFront.Dominates(points[0], points[1], Objectives));
        Assert.IsFalse(ParetoFront.Dominates(points[1], points[0], Objectives));
        CollectionAssert.AreEqual(new[] { 0, 0, 1, 1, 0, 0, 2 }, ParetoFront.Ranks(points, Objectives));
        // Accuracy alone: only the most accurate point.
        CollectionAssert.AreEqual(new[] { 4 }, ParetoFront.Of(points, new[] { Objectives[0] }).ToArray());
    }

    [TestMethod]
    public void ValuesWithinAnObjectivesToleranceCountAsEqual()
    {
        // Three models of one structure from the ResNet-20 sweep: bytes differing by their metadata, latency by noise.
        var objectives = new[] { new SweepObjective("accuracy", true), new SweepObjective("bytes", false) { RelativeTolerance = 0.001 }, new SweepObjective("ms", false) { RelativeTolerance = 0.03 } };
        IReadOnlyDictionary<string, double> Q(double accuracy, double bytes, double ms) => new SweepMetrics { ["accuracy"] = accuracy, ["bytes"] = bytes, ["ms"] = ms };
        var points = new List<IReadOnlyDictionary<string, double>>
        {
            Q(0.8964, 83598, 16.80), // 0: 0.4% faster than 1 and 0.02 points less accurate: dominated within tolerance
            Q(0.8966, 83585, 16.84), // 1: front
            Q(0.8874, 83583, 16.84), // 2: 2 bytes smaller than 1, far less accurate: dominated within tolerance
            Q(0.8998, 57949, 31.99), // 3: front (smaller, more accurate, slower beyond 3%)
            Q(0.8960, 83585, 16.00), // 4: front: 5% faster than 1
        };
        CollectionAssert.AreEqual(new[] { 1, 3, 4 }, ParetoFront.Of(points, objectives).ToArray());
        // Without tolerances every point is on the front: each wins somewhere by a hair.
        var exact = objectives.Select(o => o with { RelativeTolerance = 0 }).ToArray();
        CollectionAssert.AreEqual(new[] { 0, 1, 2, 3, 4 }, ParetoFront.Of(points, exact).ToArray());
        // Equal within every tolerance: neither dominates.
        Assert.IsFalse(ParetoFront.Dominates(Q(0.9, 1000, 10.0), Q(0.9, 1000.5, 10.2), objectives));
        Assert.IsFalse(ParetoFront.Dominates(Q(0.9, 1000.5, 10.2), Q(0.9, 1000, 10.0), objectives));
        Assert.AreEqual("ms (min, ±3%)", objectives[2].ToString());
        Assert.ThrowsExactly<System.ArgumentOutOfRangeException>(() => new SweepObjective("ms", false) { RelativeTolerance = -0.1 });
    }

    [TestMethod]
    public void PromotionsTakeAFrontsEndsAndSparsePartsFirst()
    {
        // A front (bytes 0/1/2/4 at accuracy 0/1.5/2/4) and one point it dominates. Crowding by hand, ranges 4 and 4:
        // (1, 1.5): bytes gap 2/4 + accuracy gap 2/4 = 1.0; (2, 2): 3/4 + 2.5/4 = 1.375; the ends: infinity.
        var points = new[] { P(0, 0), P(1.5, 1), P(2, 2), P(4, 4) };
        double[] d = ParetoFront.CrowdingDistances(points, Objectives);
        Assert.AreEqual((double.PositiveInfinity, 1.0, 1.375, double.PositiveInfinity), (d[0], d[1], d[2], d[3]));

        var trials = points.Append(P(1, 3)).Select((m, i) => new SweepTrial { Id = i + 1, Configuration = SweepConfiguration.Of(("x", i)), Metrics = m, Feasible = true }).ToList();
        // Ends first (the more accurate first), then the sparser interior point, then the rest of the front, then rank 1.
        CollectionAssert.AreEqual(new[] { 4, 1, 3, 2, 5 }, SweepRanking.Order(trials, Objectives).Select(t => t.Id).ToArray());
    }
}
