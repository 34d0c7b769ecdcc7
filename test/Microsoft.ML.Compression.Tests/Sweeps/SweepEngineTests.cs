using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.ML.Compression.Sweeps;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Compression.Tests.Sweeps;

/// <summary>The engine: failures, feasibility, duplicates, successive halving, checkpoints and resuming.</summary>
[TestClass]
public class SweepEngineTests
{
    private sealed class CountingMonitor : ISweepMonitor
    {
        public int Started, Completed, Failed;
        public void TrialStarted(SweepTrialContext trial) => Started++;
        public void TrialCompleted(SweepTrial trial) => Completed++;
        public void TrialFailed(SweepTrial trial) => Failed++;
    }

    [TestMethod]
    public async Task AFailedTrialIsRecordedAndTheSweepContinues()
    {
        var monitor = new CountingMonitor();
        var log = new List<string>();
        var engine = new SweepEngine(SweepTestProblems.QuadraticSpace(), c =>
            c.Id == 2 ? throw new InvalidOperationException("out of memory at trial 2") : new SweepMetrics { ["f"] = SweepTestProblems.Quadratic(c.Configuration) })
        { Monitor = monitor, Log = log.Add, Tuner = SweepTuner.Random(1), MaxTrials = 6 };
        engine.Objectives.Add(new SweepObjective("f", false));
        SweepResult result = await engine.RunAsync();
        Assert.AreEqual(6, result.Trials.Count);
        Assert.AreEqual("out of memory at trial 2", result.Trials[1].Error);
        Assert.IsFalse(result.Trials[1].Succeeded || result.Trials[1].Feasible || result.Trials[1].OnFront);
        Assert.IsTrue(result.Trials.Where(t => t.Id != 2).All(t => t.Succeeded));
        Assert.AreEqual((6, 5, 1), (monitor.Started, monitor.Completed, monitor.Failed));
        Assert.IsTrue(log.Any(l => l.StartsWith("trial 2 (fidelity 0): failed: out of memory at trial 2 | ", StringComparison.Ordinal)), string.Join("\n", log));
        Assert.IsTrue(log.Any(l => l.StartsWith("trial 1 (fidelity 0): f ", StringComparison.Ordinal) && l.Contains(" feasible, on front | ")), string.Join("\n", log));
        // A missing metric fails the trial with a message naming it.
        var missing = await new SweepEngine(SweepTestProblems.QuadraticSpace(), c => new SweepMetrics { ["g"] = 1 }).WithObjective("f", false).WithBudget(1).RunAsync();
        StringAssert.Contains(missing.Trials[0].Error, "'f'");
        Assert.IsNull(missing.BestEffort);
    }

    [TestMethod]
    public async Task WithNoFeasibleTrialBestIsNullAndBestEffortViolatesLeast()
    {
        var engine = new SweepEngine(SweepTestProblems.QuadraticSpace(), c => new SweepMetrics
        {
            ["accuracy"] = 1 / (1 + SweepTestProblems.Quadratic(c.Configuration)),
            ["bytes"] = 1000 + 100 * c.Configuration.Get<double>("x"),
        }).WithObjective("bytes", false).WithConstraint(SweepConstraint.AtLeast("accuracy", 2)).WithTuner(SweepTuner.Random(4)).WithBudget(15);
        SweepResult result = await engine.RunAsync();
        Assert.IsTrue(result.Trials.All(t => !t.Feasible));
        Assert.IsNull(result.Best);
        // Least violation of accuracy >= 2 is the highest accuracy.
        SweepTrial expected = result.Trials.OrderByDescending(t => 1 / (1 + SweepTestProblems.Quadratic(t.Configuration))).First();
        Assert.AreEqual(expected.Id, result.BestEffort!.Id);
        Assert.AreEqual((2 - expected.Metrics["accuracy"]) / 2, expected.Violation, 1e-12);
        // The front falls back to all completed trials: the smallest bytes is on it.
        Assert.IsTrue(result.ParetoFront.Any(t => t.Metrics["bytes"] == result.Trials.Min(x => x.Metrics["bytes"])));

        // With a reachable bound Best is the feasible one with the fewest bytes.
        var feasible = await new SweepEngine(SweepTestProblems.QuadraticSpace(), c => new SweepMetrics
        {
            ["accuracy"] = 1 / (1 + SweepTestProblems.Quadratic(c.Configuration)),
            ["bytes"] = 1000 + 100 * c.Configuration.Get<double>("x"),
        }).WithObjective("bytes", false).WithConstraint(SweepConstraint.AtLeast("accuracy", 0.05)).WithTuner(SweepTuner.Random(4)).WithBudget(15).RunAsync();
        SweepTrial best = feasible.Trials.Where(t => t.Metrics["accuracy"] >= 0.05).MinBy(t => t.Metrics["bytes"])!;
        Assert.AreEqual(best.Id, feasible.Best!.Id);
        Assert.AreSame(feasible.Best, feasible.BestEffort);
    }

    [TestMethod]
    public async Task DuplicateConfigurationsAreNotEvaluatedAgain()
    {
        int calls = 0;
        var space = new SweepSearchSpace().AddChoice("bits", new object[] { 2, 4, 8 }, 8);
        var result = await new SweepEngine(space, c => { calls++; return new SweepMetrics { ["bytes"] = c.Configuration.Get<int>("bits") }; })
            .WithObjective("bytes", false).WithTuner(SweepTuner.Random(0)).WithBudget(10)
            .WithInitialPoints(SweepConfiguration.Of(("bits", 8)), SweepConfiguration.Of(("bits", 8L))).RunAsync();
        Assert.AreEqual(3, calls);
        Assert.AreEqual(3, result.Trials.Select(t => t.Configuration.Key).Distinct().Count());
        Assert.AreEqual(SweepStopReason.Exhausted, result.StopReason);
        Assert.AreEqual(2, result.Best!.Configuration.Get<int>("bits"));
    }

    [TestMethod]
    public async Task ConfigurationsOneCanonicalFormStandsForRunOnce()
    {
        // "rate" only matters when "prune" is on: the grid's 2 x 3 configurations are 4 different trials.
        var space = new SweepSearchSpace().AddBoolean("prune", false).AddChoice("rate", new object[] { 0.25, 0.5, 0.75 }, 0.5);
        var evaluated = new List<string>();
        var result = await new SweepEngine(space, c =>
        {
            evaluated.Add(c.Configuration.Key);
            return new SweepMetrics { ["size"] = c.Configuration.Get<bool>("prune") ? 1 - c.Configuration.Get<double>("rate") : 1 };
        })
        {
            Canonicalize = c => c.Get<bool>("prune") ? c : c.With("rate", 0.5),
        }.WithObjective("size", false).WithTuner(SweepTuner.Grid(3)).WithBudget(10).RunAsync();
        Assert.AreEqual(4, evaluated.Count, string.Join("; ", evaluated));
        Assert.AreEqual(4, evaluated.Distinct().Count());
        Assert.IsTrue(result.Trials.Where(t => !t.Configuration.Get<bool>("prune")).All(t => t.Configuration.Get<double>("rate") == 0.5));
    }

    /// <summary>True quality −(x − 5)²/10 plus noise that more fidelity shrinks: at level 0 the noise reorders the configurations.</summary>
    private static double Noisy(int x, int fidelity) => -Math.Pow(x - 5, 2) / 10 + (((x * 7919) % 11) - 5) / 2.0 / (1 + fidelity * fidelity);

    [TestMethod]
    public async Task SuccessiveHalvingPromotesTheBestThirdOfEachLevel()
    {
        var space = new SweepSearchSpace().AddIntRange("x", 0, 8, 0);
        var calls = new List<(int X, int Fidelity)>();
        SweepResult result = await new SweepEngine(space, c =>
        {
            calls.Add((c.Configuration.Get<int>("x"), c.Fidelity));
            return new SweepMetrics { ["score"] = Noisy(c.Configuration.Get<int>("x"), c.Fidelity) };
        }).WithObjective("score", true).WithTuner(SweepTuner.Grid(9)).WithFidelities(new[] { 0, 1, 3 }).WithBudget(100).RunAsync();

        // 9 screens, floor(9/3) = 3 promoted to fidelity 1, floor(3/3) = 1 to fidelity 3.
        Assert.AreEqual(9, calls.Count(c => c.Fidelity == 0));
        Assert.AreEqual(3, calls.Count(c => c.Fidelity == 1));
        Assert.AreEqual(1, calls.Count(c => c.Fidelity == 3));
        Assert.AreEqual(SweepStopReason.Exhausted, result.StopReason);
        // Each promotion took the best not-yet-promoted configuration of the level below among the trials before it
        // (scores recomputed here from the formula, not read from the engine).
        var promotedX = new HashSet<(int, int)>();
        foreach (SweepTrial p in result.Trials.Where(t => t.PromotedFrom is not null))
        {
            int below = p.Fidelity == 1 ? 0 : 1;
            var candidates = result.Trials.Where(t => t.Id < p.Id && t.Fidelity == below).Select(t => t.Configuration.Get<int>("x")).ToList();
            Assert.IsTrue(candidates.Count / 3 > promotedX.Count(q => q.Item2 == below), $"trial {p.Id} promoted before its level had 3k results");
            int expected = candidates.Where(x => !promotedX.Contains((x, below))).MaxBy(x => Noisy(x, below));
            Assert.AreEqual(expected, p.Configuration.Get<int>("x"), $"trial {p.Id}");
            Assert.AreEqual(expected, result.Trials.Single(t => t.Id == p.PromotedFrom).Configuration.Get<int>("x"));
            promotedX.Add((expected, below));
        }
        // Best and front count each configuration at its highest fidelity only.
        SweepTrial top = result.Trials.Single(t => t.Fidelity == 3);
        var latest = Enumerable.Range(0, 9).Select(x => (X: x, Fidelity: calls.Where(c => c.X == x).Max(c => c.Fidelity))).ToList();
        var expectedBest = latest.MaxBy(l => Noisy(l.X, l.Fidelity));
        Assert.AreEqual((expectedBest.X, expectedBest.Fidelity), (result.Best!.Configuration.Get<int>("x"), result.Best.Fidelity));
        Assert.IsTrue(result.Trials.Where(t => t.Configuration.Key == top.Configuration.Key && t.Fidelity < 3).All(t => !t.OnFront));
    }

    private static SweepEngine ResumableSweep(string folder, Func<SweepTrialContext, SweepMetrics> evaluate, int maxTrials, SweepTuner tuner) =>
        new SweepEngine(SweepTestProblems.ZdtSpace(), evaluate)
            .WithObjective("f1", false).WithObjective("f2", false).WithConstraint(SweepConstraint.AtMost("f2", 4))
            .WithTuner(tuner).WithFidelities(new[] { 0, 1 }, eta: 3).WithBudget(maxTrials)
            .WithInitialPoints(SweepConfiguration.Of(("x1", 0.1), ("x2", 0.0), ("x3", 0.0)))
            .WithCheckpoint(folder);

    private static SweepMetrics Zdt(SweepTrialContext c)
    {
        SweepMetrics m = SweepTestProblems.Zdt1(c.Configuration);
        m["cost"] = 1 + c.Configuration.Get<double>("x1"); // deterministic cost, so CFO's step sizes reproduce
        return m;
    }

    private static void AssertSameTrials(SweepResult expected, SweepResult actual)
    {
        Assert.AreEqual(expected.Trials.Count, actual.Trials.Count);
        for (int i = 0; i < expected.Trials.Count; i++)
        {
            SweepTrial e = expected.Trials[i], a = actual.Trials[i];
            Assert.AreEqual((e.Id, e.Configuration.Key, e.Fidelity, e.PromotedFrom, e.OnFront, e.Feasible), (a.Id, a.Configuration.Key, a.Fidelity, a.PromotedFrom, a.OnFront, a.Feasible), $"trial {i + 1}");
            CollectionAssert.AreEquivalent(e.Metrics.ToList(), a.Metrics.ToList(), $"trial {i + 1}");
        }
    }

    [TestMethod]
    public async Task ACancelledSweepResumesWithoutRepeatingFinishedTrials()
    {
        using var reference = new SweepTestProblems.TempFolder();
        using var folder = new SweepTestProblems.TempFolder();
        SweepResult uninterrupted = await ResumableSweep(reference.Path, Zdt, 16, SweepTuner.MultiObjective(5)).RunAsync();

        // Run 1: the evaluator cancels the sweep during trial 3 and still returns, so trial 3 is recorded.
        using var cts = new CancellationTokenSource();
        var firstCalls = new List<int>();
        SweepResult first = await ResumableSweep(folder.Path, c => { firstCalls.Add(c.Id); if (c.Id == 3) cts.Cancel(); return Zdt(c); }, 16, SweepTuner.MultiObjective(5)).RunAsync(cts.Token);
        Assert.AreEqual(SweepStopReason.Cancelled, first.StopReason);
        CollectionAssert.AreEqual(new[] { 1, 2, 3 }, firstCalls);
        Assert.AreEqual(3, File.ReadAllLines(Path.Combine(folder.Path, "trials.jsonl")).Length);

        // Run 2: cancelled part-way through trial 5 (the evaluator throws): trial 5 is not recorded.
        using var cts2 = new CancellationTokenSource();
        var secondCalls = new List<int>();
        SweepResult second = await ResumableSweep(folder.Path, c =>
        {
            secondCalls.Add(c.Id);
            if (c.Id == 5) { cts2.Cancel(); c.CancellationToken.ThrowIfCancellationRequested(); }
            return Zdt(c);
        }, 16, SweepTuner.MultiObjective(5)).RunAsync(cts2.Token);
        CollectionAssert.AreEqual(new[] { 4, 5 }, secondCalls);
        Assert.AreEqual(4, second.Trials.Count);
        Assert.AreEqual(4, File.ReadAllLines(Path.Combine(folder.Path, "trials.jsonl")).Length);

        // Run 3 completes: only trials 5..16 are evaluated, and the sweep equals the uninterrupted one.
        var thirdCalls = new List<int>();
        SweepResult resumed = await ResumableSweep(folder.Path, c => { thirdCalls.Add(c.Id); return Zdt(c); }, 16, SweepTuner.MultiObjective(5)).RunAsync();
        CollectionAssert.AreEqual(Enumerable.Range(5, 12).ToArray(), thirdCalls);
        AssertSameTrials(uninterrupted, resumed);
        Assert.IsTrue(resumed.Trials.Any(t => t.Fidelity == 1), "the sweep promoted configurations");
    }

    [TestMethod]
    public async Task ACrashedSweepResumesFromItsCheckpointIgnoringATornLine()
    {
        using var reference = new SweepTestProblems.TempFolder();
        using var folder = new SweepTestProblems.TempFolder();
        SweepEngine Sweep(string f, Func<SweepTrialContext, SweepMetrics> evaluate, int n)
        {
            SweepEngine e = ResumableSweep(f, evaluate, n, SweepTuner.CostFrugal(3));
            e.Objectives.RemoveAt(1);
            e.CostMetric = "cost";
            return e;
        }
        SweepResult uninterrupted = await Sweep(reference.Path, Zdt, 14).RunAsync();

        // The "process" stops after 6 trials, in the middle of writing the 7th line.
        int firstCalls = 0;
        await Sweep(folder.Path, c => { firstCalls++; return Zdt(c); }, 6).RunAsync();
        string trialsPath = Path.Combine(folder.Path, "trials.jsonl");
        string lastLine = File.ReadAllLines(trialsPath)[^1];
        File.AppendAllText(trialsPath, lastLine.Substring(0, lastLine.Length / 2));

        // A new engine on the same folder (as a restarted process would build) finishes the sweep.
        var calls = new List<int>();
        var log = new List<string>();
        SweepEngine resumedEngine = Sweep(folder.Path, c => { calls.Add(c.Id); return Zdt(c); }, 14);
        resumedEngine.Log = log.Add;
        SweepResult resumed = await resumedEngine.RunAsync();
        Assert.AreEqual(6, firstCalls);
        CollectionAssert.AreEqual(Enumerable.Range(7, 8).ToArray(), calls);
        AssertSameTrials(uninterrupted, resumed);
        Assert.AreEqual(14, File.ReadAllLines(trialsPath).Length);
        StringAssert.StartsWith(log[0], "Resuming from 6 finished trial(s)");

        // Running it again repeats nothing; a different sweep in the folder is refused.
        SweepResult again = await Sweep(folder.Path, c => throw new AssertFailedException("no trial should run"), 14).RunAsync();
        AssertSameTrials(uninterrupted, again);
        var refused = await Assert.ThrowsExactlyAsync<InvalidOperationException>(() =>
            Sweep(folder.Path, Zdt, 14).WithConstraint(SweepConstraint.AtLeast("f1", 0.5)).RunAsync());
        StringAssert.Contains(refused.Message, "another sweep");
        StringAssert.Contains(refused.Message, "constraints");
    }

    [TestMethod]
    public async Task TrialsGetTheirOwnFolderUnderTheCheckpoint()
    {
        using var folder = new SweepTestProblems.TempFolder();
        var folders = new List<string>();
        await new SweepEngine(SweepTestProblems.QuadraticSpace(), c =>
        {
            folders.Add(c.Folder);
            File.WriteAllText(Path.Combine(c.Folder, $"trial-{c.Id}.onnx"), "model");
            return new SweepMetrics { ["f"] = 1 };
        }).WithObjective("f", false).WithBudget(2).WithCheckpoint(folder.Path).RunAsync();
        CollectionAssert.AreEqual(new[] { Path.Combine(folder.Path, "trial-1"), Path.Combine(folder.Path, "trial-2") }, folders);
        Assert.IsTrue(File.Exists(Path.Combine(folder.Path, "trial-2", "trial-2.onnx")));
        Assert.IsTrue(File.Exists(Path.Combine(folder.Path, "sweep.json")));
    }

    [TestMethod]
    public async Task ProposalsThatThePrecheckShowsBreakAConstraintAreNotRunAndResumeAlike()
    {
        // f1 is x1, known before the trial runs (as a model's size is): the bound f1 <= 0.4 rules out 60% of the space.
        SweepEngine Sweep(string folder, Func<SweepTrialContext, SweepMetrics> evaluate, List<string> log) =>
            new SweepEngine(SweepTestProblems.ZdtSpace(), evaluate)
            {
                Precheck = c => new SweepMetrics { ["f1"] = c.Get<double>("x1"), ["unconstrained"] = 99 },
                Log = log.Add,
            }
            .WithObjective("f1", false).WithObjective("f2", false).WithConstraint(SweepConstraint.AtMost("f1", 0.4))
            .WithTuner(SweepTuner.MultiObjective(2)).WithBudget(12)
            .WithInitialPoints(SweepConfiguration.Of(("x1", 0.9), ("x2", 0.0), ("x3", 0.0)))
            .WithCheckpoint(folder);

        using var reference = new SweepTestProblems.TempFolder();
        var evaluated = new List<SweepConfiguration>();
        var log = new List<string>();
        SweepResult result = await Sweep(reference.Path, c => { evaluated.Add(c.Configuration); return SweepTestProblems.Zdt1(c.Configuration); }, log).RunAsync();

        Assert.AreEqual(12, result.Trials.Count, "skipped proposals spend no trial");
        Assert.AreEqual(0.9, evaluated[0].Get<double>("x1"), "an initial point runs whatever the precheck says");
        Assert.IsTrue(evaluated.Skip(1).All(c => c.Get<double>("x1") <= 0.4), string.Join("\n", evaluated));
        Assert.IsTrue(result.Skipped.Count > 0, "the tuner's exploration proposes x1 > 0.4");
        foreach (SweepTrial s in result.Skipped)
        {
            Assert.IsTrue(s.Configuration.Get<double>("x1") > 0.4 && !s.Succeeded && s.Id == 0);
            StringAssert.Contains(s.Error, "f1 would be");
            StringAssert.Contains(s.Error, "f1 <= 0.4");
        }
        Assert.AreEqual(result.Skipped.Count, result.Skipped.Select(s => s.Configuration.Key).Distinct().Count(), "each configuration is prechecked once");
        Assert.IsTrue(log.Any(l => l.Contains("skipped before running")), string.Join("\n", log));

        // Interrupted after trial 4 and resumed: the same trials and the same skips, and no finished trial evaluated again.
        using var folder = new SweepTestProblems.TempFolder();
        using var cts = new CancellationTokenSource();
        await Sweep(folder.Path, c => { if (c.Id == 4) cts.Cancel(); return SweepTestProblems.Zdt1(c.Configuration); }, new List<string>()).RunAsync(cts.Token);
        var calls = new List<int>();
        SweepResult resumed = await Sweep(folder.Path, c => { calls.Add(c.Id); return SweepTestProblems.Zdt1(c.Configuration); }, new List<string>()).RunAsync();
        CollectionAssert.AreEqual(Enumerable.Range(5, 8).ToArray(), calls);
        AssertSameTrials(result, resumed);
        CollectionAssert.AreEqual(result.Skipped.Select(s => s.Configuration.Key).ToArray(), resumed.Skipped.Select(s => s.Configuration.Key).ToArray());
    }

    [TestMethod]
    public async Task ATrialWhoseCheckedBoundBreaksAConstraintIsNotPromoted()
    {
        // "size" is fixed by the configuration (as bytes are), "err" falls with training. At fidelity 0 both trials break
        // the err bound; A (size 0.45) misses by less in all and ranks first, but no training brings its size under 0.4.
        var space = new SweepSearchSpace().AddRange("x1", 0, 1, 0.5).AddRange("x2", 0, 1, 0.5);
        SweepConfiguration a = SweepConfiguration.Of(("x1", 0.45), ("x2", 0.0)), b = SweepConfiguration.Of(("x1", 0.1), ("x2", 0.05));
        Task<SweepResult> Run(bool precheck) =>
            new SweepEngine(space, c => new SweepMetrics { ["size"] = c.Configuration.Get<double>("x1"), ["err"] = 0.5 * (1 - c.Fidelity) + c.Configuration.Get<double>("x2") })
            {
                Precheck = precheck ? c => new SweepMetrics { ["size"] = c.Get<double>("x1") } : null,
            }
            .WithObjective("err", false).WithConstraint(SweepConstraint.AtMost("size", 0.4)).WithConstraint(SweepConstraint.AtMost("err", 0.1))
            .WithFidelities(new[] { 0, 1 }, eta: 2).WithInitialPoints(a, b).WithBudget(3).RunAsync();

        SweepResult without = await Run(precheck: false), with = await Run(precheck: true);
        Assert.AreEqual(1, without.Trials[2].PromotedFrom, "by violation alone A goes first");
        Assert.AreEqual(2, with.Trials[2].PromotedFrom);
        Assert.AreEqual(a.Key, with.Trials[0].Configuration.Key, "an initial point still runs");
        Assert.IsTrue(with.Trials[2].Feasible, "B trained further meets both bounds");
    }
    [TestMethod]
    public async Task AScreenJustUnderAnAccuracyBoundIsPromotedOnceFurtherTrainingShowedItWouldMeetIt()
    {
        // "acc" rises by 0.1 per fidelity level, "size" is fixed; acc >= 0.8 is the bound. Screens (size, acc at level 0):
        // A (0.5, 0.85), B (0.6, 0.83), C (0.7, 0.90), D (0.1, 0.75), E (0.65, 0.82), F (0.05, 0.5). A and C are
        // promoted first (+0.1 each). At the third promotion D, 0.05 under the bound, should reach 0.85 with the smallest
        // size: it goes before B and E, which A dominates. F, 0.3 under, stays infeasible.
        var space = new SweepSearchSpace().AddRange("size", 0, 1, 0.5).AddRange("acc", 0, 1, 0.5);
        SweepConfiguration P(double size, double acc) => SweepConfiguration.Of(("size", size), ("acc", acc));
        var log = new List<string>();
        SweepResult result = await new SweepEngine(space, c => new SweepMetrics
            {
                ["size"] = c.Configuration.Get<double>("size"), ["acc"] = c.Configuration.Get<double>("acc") + 0.1 * c.Fidelity,
            }) { Log = log.Add }
            .WithObjective("acc", true).WithObjective("size", false).WithConstraint(SweepConstraint.AtLeast("acc", 0.8))
            .WithFidelities(new[] { 0, 1 }, eta: 2)
            .WithInitialPoints(P(0.5, 0.85), P(0.6, 0.83), P(0.7, 0.90), P(0.1, 0.75), P(0.65, 0.82), P(0.05, 0.5)).WithBudget(9).RunAsync();

        CollectionAssert.AreEqual(new int?[] { null, null, 1, null, null, 4, null, null, 5 }, result.Trials.Select(t => t.PromotedFrom).ToArray(),
            string.Join("; ", result.Trials));
        Assert.IsFalse(result.Trials[4].Feasible, "D misses the bound at level 0");
        Assert.IsTrue(result.Trials[8].Feasible && result.Trials[8].OnFront, "D trained further meets it, and is the smallest feasible model");
        Assert.IsTrue(log.Any(l => l.StartsWith("trial 5 misses acc >= 0.8 at fidelity 0") && l.Contains("acc +0.1")), string.Join("\n", log));
    }

    [TestMethod]
    public async Task ASuggestedPointThePrecheckRulesOutIsSkippedWhereTheSameInitialPointRuns()
    {
        // Two starts over the size bound and one under it: chosen by the user they all run; derived by the sweep itself
        // (as sensitivity-guided starts are) the two over it are skipped, and the one under it runs first.
        var space = new SweepSearchSpace().AddRange("x1", 0, 1, 0.5).AddRange("x2", 0, 1, 0.5);
        SweepConfiguration[] starts = { SweepConfiguration.Of(("x1", 0.9), ("x2", 0.2)), SweepConfiguration.Of(("x1", 0.2), ("x2", 0.3)), SweepConfiguration.Of(("x1", 0.7), ("x2", 0.1)) };
        Task<SweepResult> Run(bool suggested)
        {
            var engine = new SweepEngine(space, c => new SweepMetrics { ["size"] = c.Configuration.Get<double>("x1"), ["err"] = c.Configuration.Get<double>("x2") })
            {
                Precheck = c => new SweepMetrics { ["size"] = c.Get<double>("x1") },
            }.WithObjective("err", false).WithObjective("size", false).WithConstraint(SweepConstraint.AtMost("size", 0.5)).WithBudget(3);
            foreach (SweepConfiguration p in starts) (suggested ? engine.SuggestedPoints : engine.InitialPoints).Add(p);
            return engine.RunAsync();
        }

        SweepResult chosen = await Run(suggested: false), derived = await Run(suggested: true);
        CollectionAssert.AreEqual(starts.Select(p => p.Key).ToArray(), chosen.Trials.Select(t => t.Configuration.Key).ToArray());
        Assert.AreEqual(0, chosen.Skipped.Count);
        Assert.AreEqual(starts[1].Key, derived.Trials[0].Configuration.Key);
        CollectionAssert.AreEqual(new[] { starts[0].Key, starts[2].Key }, derived.Skipped.Select(t => t.Configuration.Key).ToArray());
        Assert.IsTrue(derived.Trials.All(t => t.Configuration.Get<double>("x1") <= 0.5), "the tuner's proposals are prechecked too");
    }
}
