using System;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.ML.Compression.Sweeps;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Compression.Tests.Sweeps;

/// <summary>Tuners on synthetic problems with known optima (fixed seeds).</summary>
[TestClass]
public class SweepTunerTests
{
    private static async Task<double> BestQuadratic(SweepTuner tuner, int trials)
    {
        var engine = new SweepEngine(SweepTestProblems.QuadraticSpace(), c => new SweepMetrics { ["f"] = SweepTestProblems.Quadratic(c.Configuration) })
            .WithObjective("f", maximize: false).WithTuner(tuner).WithBudget(trials);
        SweepResult result = await engine.RunAsync();
        Assert.AreEqual(trials, result.Trials.Count);
        // The best from the metrics and from the configuration agree (the engine kept the right numbers).
        Assert.AreEqual(result.Trials.Min(t => SweepTestProblems.Quadratic(t.Configuration)), result.Best!.Metrics["f"], 1e-12);
        return result.Best.Metrics["f"];
    }

    [TestMethod]
    public async Task CostFrugalFindsTheQuadraticsMinimumAndBeatsRandomSearch()
    {
        const int Trials = 60;
        double[] cfo = new double[5], random = new double[5];
        for (int seed = 0; seed < 5; seed++)
        {
            cfo[seed] = await BestQuadratic(SweepTuner.CostFrugal(seed), Trials);
            random[seed] = await BestQuadratic(SweepTuner.Random(seed), Trials);
        }
        double Median(double[] v) => v.OrderBy(x => x).ElementAt(v.Length / 2);
        string summary = $"CFO {string.Join(", ", cfo.Select(x => x.ToString("0.####")))}; random {string.Join(", ", random.Select(x => x.ToString("0.####")))}";
        // The start (4, 4) is at f = 45; every CFO seed gets within 0.05 of the minimum (distance about 0.22).
        Assert.IsTrue(cfo.All(f => f < 0.05), summary);
        Assert.IsTrue(Median(cfo) < Median(random), summary);
    }

    [TestMethod]
    public async Task CostFrugalStartsAtTheBestInitialPoint()
    {
        int calls = 0;
        SweepConfiguration near = SweepConfiguration.Of(("x", 1.2), ("y", -2.1));
        var engine = new SweepEngine(SweepTestProblems.QuadraticSpace(), c => { calls++; return new SweepMetrics { ["f"] = SweepTestProblems.Quadratic(c.Configuration) }; })
            .WithObjective("f", false).WithTuner(SweepTuner.CostFrugal(1)).WithBudget(20)
            .WithInitialPoints(SweepConfiguration.Of(("x", -4.0), ("y", 4.0)), near);
        SweepResult result = await engine.RunAsync();
        Assert.AreEqual(near.Key, result.Trials[1].Configuration.Key);
        // The walk moves from the better start: its first proposal is within one initial step (0.1·√2 of the unit cube, 1.42 here) of it.
        SweepConfiguration first = result.Trials[2].Configuration;
        double distance = Math.Sqrt(Math.Pow(first.Get<double>("x") - 1.2, 2) + Math.Pow(first.Get<double>("y") + 2.1, 2));
        Assert.IsTrue(distance <= 1.42 + 1e-9, $"first proposal {first} is {distance} from the best start");
        Assert.AreEqual(20, calls);
    }

    [TestMethod]
    public async Task MultiObjectiveTunerSpreadsAFrontOnZdt1()
    {
        var engine = new SweepEngine(SweepTestProblems.ZdtSpace(), c => SweepTestProblems.Zdt1(c.Configuration))
            .WithObjective("f1", false).WithObjective("f2", false).WithTuner(SweepTuner.MultiObjective(7)).WithBudget(80);
        SweepResult result = await engine.RunAsync();
        Assert.AreEqual(80, result.Trials.Count);
        Assert.IsTrue(result.ParetoFront.Count >= 5, $"{result.ParetoFront.Count} front points");
        // Independently: a front trial is dominated by no trial (both objectives minimised).
        foreach (SweepTrial f in result.ParetoFront)
            Assert.IsFalse(result.Trials.Any(t => t.Metrics["f1"] <= f.Metrics["f1"] && t.Metrics["f2"] <= f.Metrics["f2"]
                && (t.Metrics["f1"] < f.Metrics["f1"] || t.Metrics["f2"] < f.Metrics["f2"])), f.ToString());
        // Scalarised perturbation pulls toward the true front (x2 = x3 = 0, g = 1): better than 80 random points' front.
        var random = await new SweepEngine(SweepTestProblems.ZdtSpace(), c => SweepTestProblems.Zdt1(c.Configuration))
            .WithObjective("f1", false).WithObjective("f2", false).WithTuner(SweepTuner.Random(7)).WithBudget(80).RunAsync();
        double MeanG(SweepResult r) => r.ParetoFront.Average(t => 1 + 9 * (t.Configuration.Get<double>("x2") + t.Configuration.Get<double>("x3")) / 2);
        Assert.IsTrue(MeanG(result) < MeanG(random), $"mean g on the front: tuner {MeanG(result)}, random {MeanG(random)}");
    }

    [TestMethod]
    public async Task MultiObjectiveTunerStartsWithEveryChoiceEquallyOften()
    {
        // Two parameters: 6 exploring starts, each a different sixth of both ranges, so each of the 3 levels twice.
        // Six uniform draws give an even split only 90 times in 729.
        var space = new SweepSearchSpace().AddChoice("method", new object[] { "a", "b", "c" }, "a").AddRange("rate", 0, 1, 0.5);
        foreach (int seed in new[] { 1, 2, 3 })
        {
            SweepResult result = await new SweepEngine(space, c => new SweepMetrics { ["f1"] = c.Configuration.Get<double>("rate"), ["f2"] = 1 - c.Configuration.Get<double>("rate") })
                .WithObjective("f1", false).WithObjective("f2", false).WithTuner(SweepTuner.MultiObjective(seed)).WithBudget(6).RunAsync();
            var starts = result.Trials.Select(t => t.Configuration).ToArray();
            Assert.AreEqual(6, starts.Length);
            foreach (string level in new[] { "a", "b", "c" })
                Assert.AreEqual(2, starts.Count(c => c.Get<string>("method") == level), $"seed {seed}: {string.Join("; ", starts.Select(c => c.ToString()))}");
            var sixths = starts.Select(c => (int)Math.Floor(c.Get<double>("rate") * 6)).OrderBy(k => k).ToArray();
            CollectionAssert.AreEqual(Enumerable.Range(0, 6).ToArray(), sixths, $"seed {seed}");
        }
    }

    [TestMethod]
    public async Task MultiObjectiveTunerRefinesAfterSixStartsWhateverTheNumberOfParameters()
    {
        // 20 parameters, as a width per layer gives. After six finished starts, four proposals in five perturb an
        // archive member by at most 0.2 standard deviations: every coordinate within 0.6 of an earlier trial's (a
        // uniform point is that close in all 20 to one of six points about 6 times in 10,000). With one start per
        // parameter pair (up to 10) trials 7-10 would all still be exploring starts.
        var space = new SweepSearchSpace();
        for (int i = 0; i < 20; i++) space.AddRange("x" + i, 0, 1, 0.5);
        int refined = 0;
        foreach (int seed in new[] { 1, 2, 3 })
        {
            SweepResult result = await new SweepEngine(space, c => new SweepMetrics { ["f1"] = c.Configuration.Get<double>("x0"), ["f2"] = 1 - c.Configuration.Get<double>("x0") + c.Configuration.Get<double>("x1") })
                .WithObjective("f1", false).WithObjective("f2", false).WithTuner(SweepTuner.MultiObjective(seed)).WithBudget(12).RunAsync();
            double[][] unit = result.Trials.Select(t => space.ToUnit(t.Configuration)).ToArray();
            for (int k = 6; k < 12; k++)
                if (Enumerable.Range(0, k).Any(j => unit[k].Zip(unit[j]).All(p => Math.Abs(p.First - p.Second) <= 0.6))) refined++;
        }
        // 18 proposals after the starts, about 14 of them perturbations; at most 6 could be with ten starts.
        Assert.IsTrue(refined >= 9, $"{refined} of 18 proposals after the starts were near an earlier trial");
    }

    [TestMethod]
    public async Task GridTunerRunsTheWholeGridThenStops()
    {
        int calls = 0;
        var space = new SweepSearchSpace().AddRange("x", 0, 1, 0).AddChoice("c", new object[] { "a", "b" }, "a");
        var result = await new SweepEngine(space, c => { calls++; return new SweepMetrics { ["y"] = c.Configuration.Get<double>("x") }; })
            .WithObjective("y", true).WithTuner(SweepTuner.Grid(4)).WithBudget(100).RunAsync();
        Assert.AreEqual(8, calls);
        Assert.AreEqual(SweepStopReason.Exhausted, result.StopReason);
        Assert.AreEqual(1.0, result.Best!.Metrics["y"]);
    }
}
