using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.ML.Compression.Sweeps;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Compression.Tests.Sweeps;

/// <summary>The end of a time budget: promising screens are promoted instead of new ones that could never be.</summary>
[TestClass]
public class SweepEndgameTests
{
    /// <summary>A clock that moves only when told, so budgets and trial seconds are exact.</summary>
    private sealed class ManualClock : TimeProvider
    {
        private long _ticks;
        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
        public override long GetTimestamp() => Interlocked.Read(ref _ticks);
        public void Advance(double seconds) => Interlocked.Add(ref _ticks, (long)Math.Round(seconds * TimeSpan.TicksPerSecond));
    }

    // Screens (fidelity 1) take 10 s, promotions (fidelity 2) 20 s: a new configuration needs 30 s to reach the top.
    // Eta 50 keeps the quota from promoting anything in 30 trials, so every promotion is the budget rule's.
    private static SweepEngine Sweep(ManualClock clock, Func<SweepTrialContext, SweepMetrics>? evaluate = null, TimeSpan? budget = null, int maxTrials = 100, string? folder = null, List<string>? log = null)
    {
        var engine = new SweepEngine(SweepTestProblems.ZdtSpace(), c =>
        {
            clock.Advance(10.0 * c.Fidelity);
            return (evaluate ?? (t => SweepTestProblems.Zdt1(t.Configuration)))(c);
        })
        {
            Time = clock,
            Log = log is null ? null : log.Add,
        }.WithObjective("f1", false).WithObjective("f2", false).WithTuner(SweepTuner.Random(3))
         .WithFidelities(new[] { 1, 2 }, eta: 50).WithBudget(maxTrials, budget);
        if (folder is not null) engine.WithCheckpoint(folder);
        return engine;
    }

    // The rung's non-dominated trials, worked out pairwise here.
    private static HashSet<int> FrontIds(IEnumerable<SweepTrial> rung)
    {
        var list = rung.ToList();
        bool Dominates(SweepTrial a, SweepTrial b) =>
            a.Metrics["f1"] <= b.Metrics["f1"] && a.Metrics["f2"] <= b.Metrics["f2"] && (a.Metrics["f1"] < b.Metrics["f1"] || a.Metrics["f2"] < b.Metrics["f2"]);
        return list.Where(b => !list.Any(a => Dominates(a, b))).Select(t => t.Id).ToHashSet();
    }

    [TestMethod]
    public async Task NearTheEndOfATimeBudgetAFrontMemberIsPromotedInsteadOfANewScreen()
    {
        var log = new List<string>();
        SweepResult result = await Sweep(new ManualClock(), budget: TimeSpan.FromSeconds(300), log: log).RunAsync();

        // 28 screens leave 20 s, less than the 30 s a new configuration needs to reach fidelity 2 (10 s + 20 s, the
        // latter estimated as twice the screens' mean): trial 29 promotes instead, and the budget is then spent.
        Assert.AreEqual(SweepStopReason.MaxTime, result.StopReason);
        Assert.AreEqual(29, result.Trials.Count);
        Assert.IsTrue(result.Trials.Take(28).All(t => t.Fidelity == 1 && t.PromotedFrom is null));
        SweepTrial promoted = result.Trials[^1];
        Assert.AreEqual(2, promoted.Fidelity);
        Assert.IsNotNull(promoted.PromotedFrom);
        CollectionAssert.Contains(FrontIds(result.Trials.Take(28)).ToList(), promoted.PromotedFrom!.Value);
        Assert.AreEqual(result.Trials[promoted.PromotedFrom.Value - 1].Configuration.Key, promoted.Configuration.Key);
        Assert.IsTrue(log.Any(l => l.StartsWith("20 s of the budget left, less than the 30 s", StringComparison.Ordinal)), string.Join("\n", log));

        // The same 29 trials by count alone: trial 29 is a screen, so it was the time left that promoted.
        SweepResult byCount = await Sweep(new ManualClock(), maxTrials: 29).RunAsync();
        Assert.IsTrue(byCount.Trials.All(t => t.Fidelity == 1));
        CollectionAssert.AreEqual(result.Trials.Take(28).Select(t => t.Configuration.Key).ToList(), byCount.Trials.Take(28).Select(t => t.Configuration.Key).ToList());
    }

    [TestMethod]
    public async Task WhileTimeIsShortEachFrontMemberIsPromotedBeforeAnyNewScreen()
    {
        // Promotions take 2 s here, so the time a new configuration needs shrinks once one has run; each trial is
        // checked against the rule worked out from the recorded seconds.
        var clock = new ManualClock();
        SweepResult result = await Sweep(clock, c => { if (c.Fidelity == 2) clock.Advance(-18); return SweepTestProblems.Zdt1(c.Configuration); },
            budget: TimeSpan.FromSeconds(150), maxTrials: 60).RunAsync();
        int finishing = 0;
        foreach (SweepTrial t in result.Trials)
        {
            var before = result.Trials.Where(r => r.Id < t.Id).ToList();
            var screens = before.Where(r => r.Fidelity == 1).ToList();
            var tops = before.Where(r => r.Fidelity == 2).ToList();
            double left = 150 - before.Sum(r => r.Seconds);
            double need = screens.Count == 0 ? double.NaN : screens.Average(r => r.Seconds) + (tops.Count > 0 ? tops.Average(r => r.Seconds) : 2 * screens.Average(r => r.Seconds));
            var promoted = before.Where(r => r.PromotedFrom is int).Select(r => r.PromotedFrom!.Value).ToHashSet();
            var pending = FrontIds(screens).Where(id => !promoted.Contains(id)).ToList();
            if (left < need && pending.Count > 0)
            {
                finishing++;
                Assert.AreEqual(2, t.Fidelity, $"trial {t.Id} promotes");
                CollectionAssert.Contains(pending, t.PromotedFrom!.Value, $"trial {t.Id} promotes a front member");
            }
            else Assert.AreEqual(1, t.Fidelity, $"trial {t.Id} screens");
        }
        Assert.IsTrue(finishing >= 2, $"{finishing} promotions");
    }

    [TestMethod]
    public async Task ASweepStoppedDuringItsEndgameResumesWithTheSameTrials()
    {
        using var reference = new SweepTestProblems.TempFolder();
        using var folder = new SweepTestProblems.TempFolder();
        var budget = TimeSpan.FromSeconds(300);
        SweepResult uninterrupted = await Sweep(new ManualClock(), budget: budget, folder: reference.Path).RunAsync();

        // Stopped part-way through trial 29 (the promotion): it is not recorded, and the resumed sweep, on a fresh
        // clock, counts the recorded seconds and promotes the same trial.
        using var cts = new CancellationTokenSource();
        SweepResult first = await Sweep(new ManualClock(), c => { if (c.Id == 29) { cts.Cancel(); c.CancellationToken.ThrowIfCancellationRequested(); } return SweepTestProblems.Zdt1(c.Configuration); },
            budget: budget, folder: folder.Path).RunAsync(cts.Token);
        Assert.AreEqual(28, first.Trials.Count);
        var calls = new List<int>();
        SweepResult resumed = await Sweep(new ManualClock(), c => { calls.Add(c.Id); return SweepTestProblems.Zdt1(c.Configuration); }, budget: budget, folder: folder.Path).RunAsync();
        CollectionAssert.AreEqual(new[] { 29 }, calls);
        Assert.AreEqual(uninterrupted.Trials.Count, resumed.Trials.Count);
        for (int i = 0; i < resumed.Trials.Count; i++)
            Assert.AreEqual((uninterrupted.Trials[i].Configuration.Key, uninterrupted.Trials[i].Fidelity, uninterrupted.Trials[i].PromotedFrom),
                (resumed.Trials[i].Configuration.Key, resumed.Trials[i].Fidelity, resumed.Trials[i].PromotedFrom), $"trial {i + 1}");
    }
}
