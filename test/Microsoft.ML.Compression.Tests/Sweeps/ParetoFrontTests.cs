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
}
