using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Compression;
using Microsoft.ML.Compression.Analysis;
using Microsoft.ML.Compression.Analysis.Sensitivity;
using Microsoft.ML.Compression.Estimators;
using Microsoft.ML.Compression.Sweeps;
using Microsoft.ML.Compression.Zoo;

namespace Benchmarks;

/// <summary>
/// sweep-fashion-resnet20: an fp32 ResNet-20, its per-layer sensitivity, the hand-tuned plans of the earlier experiments
/// and a multi-objective sweep (pruning method and rate, int8 or per-layer widths, teacher) measured the same way.
/// Trials are selected on the first half of the test split and the chosen models reported on the second half.
/// </summary>
internal static class SweepExperiment
{
    public static void FashionResNet20(ExperimentContext x)
    {
        x.UseFashionMnist();
        var c = x.Ml.Transforms.Compression;
        var total = Stopwatch.StartNew();
        int seed = x.Option("seed", 1);
        IDataView validation = x.Ml.Data.TakeRows(x.Test, 5000), heldOut = x.Ml.Data.SkipRows(x.Test, 5000);
        var fp32 = x.Run("fp32", c.Train(NetworkZoo.ResNet20(), new NetworkTrainer.Options { Epochs = x.Option("epochs", 3), LearningRate = 0.1, Seed = seed }));

        var sensitivity = c.AnalyzeSensitivity(fp32.Model, validation, new SensitivityOptions { MaxRows = x.Option("sensitivity-rows", 2000) });
        sensitivity.SaveCsv(Path.Combine(x.ArtifactDirectory, "sensitivity.csv"));
        sensitivity.SaveHeatmap(Path.Combine(x.ArtifactDirectory, "sensitivity.png"));
        Console.WriteLine(sensitivity);

        int[] fidelities = x.Text("fidelities", "1,2").Split(',').Select(f => int.Parse(f, CultureInfo.InvariantCulture)).ToArray();
        var options = new CompressionSweep.Options { Seed = seed, ValidationRows = 5000 };
        CompressionSweep NewSweep() => c.CreateSweep(fp32.Model, options).SetDataset(x.Train, validation);

        // The hand-tuned plans of slim-fashion-resnet20, mixed-fashion-resnet20 and qat-fashion-resnet20, trained and
        // measured exactly as sweep trials at the highest fidelity.
        SweepSearchSpace space = NewSweep().SearchSpace;
        SweepConfiguration Hand(SweepPruning pruning, double rate, SweepQuantization quantization) =>
            space.Defaults().With(CompressionSearchSpace.Pruning, pruning).With(CompressionSearchSpace.PruneRate, rate).With(CompressionSearchSpace.Quantization, quantization);
        var handTuned = new (string Label, SweepConfiguration Configuration)[]
        {
            ("int8", Hand(SweepPruning.None, 0.5, SweepQuantization.Int8)),
            ("slim50+int8", Hand(SweepPruning.NetworkSlimming, 0.5, SweepQuantization.Int8)),
            ("l1-50+int8", Hand(SweepPruning.L1Norm, 0.5, SweepQuantization.Int8)),
            ("slim40", Hand(SweepPruning.NetworkSlimming, 0.4, SweepQuantization.None)),
        };
        var handSweep = NewSweep().SetFidelities(new[] { fidelities[^1] }).AddInitialConfigurations(handTuned.Select(h => h.Configuration).ToArray())
            .SetMaxTrials(handTuned.Length).SetTuner(SweepTuner.Grid(1)).SetCheckpointFolder(Path.Combine(x.ArtifactDirectory, "hand-tuned"));
        var hand = handSweep.RunAsync().GetAwaiter().GetResult();
        // Trials run the canonical form of a configuration (l1-50 keeps the widths of 55 % and runs as such).
        var handPoints = hand.Sweep.Trials.Where(t => t.Succeeded)
            .Select(t => (Label: handTuned.First(h => CompressionSearchSpace.Canonical(space, h.Configuration, fp32.Model.Network).Equals(t.Configuration)).Label, Trial: t)).ToArray();

        double startAccuracy = hand.Start[CompressionMetrics.Accuracy];
        // Latency is the third objective: int8 runs faster than fp32, weight-only low-bit models slower (ONNX Runtime
        // decodes their weights to float), pruning faster; the front shows what each costs.
        // With the tolerances the sweep gives them (latency 3%, bytes 0.1%), so the hand-tuned points are judged as trials are.
        var objectives = new[]
        {
            new SweepObjective(CompressionMetrics.Accuracy, true), new SweepObjective(CompressionMetrics.Bytes, false), new SweepObjective(CompressionMetrics.LatencyMs, false),
        }.Select(o => o with { RelativeTolerance = CompressionMetrics.DefaultTolerance(o.Metric) }).ToArray();
        // The whole experiment should fit in --total-minutes on whatever machine runs it: the sweep gets what is left after
        // the fp32 model, the sensitivity table and the hand-tuned plans, less a reserve for the trial still running when
        // the budget ends and the final measurements. --minutes sets the sweep's budget directly instead.
        double sweepMinutes = x.OptionDouble("minutes", 0) is > 0 and double m ? m
            : x.OptionDouble("total-minutes", 60) - total.Elapsed.TotalMinutes - x.OptionDouble("reserve-minutes", 5);
        if (sweepMinutes < 1) throw new InvalidOperationException($"Only {sweepMinutes:F1} minutes are left for the sweep; raise --total-minutes or set --minutes.");
        x.Summary("sweep_budget_minutes", Math.Round(sweepMinutes, 1));
        // What the hand-tuned plans trained (slimming's sparsity phase, the L1 55 % step before int8) is not trained again
        // by a trial that runs it, as a user sweeping after trying their own plans would have it.
        var sweep = NewSweep().ReuseTrainingFrom(handSweep)
            .SetObjectives(objectives)
            .AddConstraint(SweepConstraint.AtMost(CompressionMetrics.AccuracyDrop, 1.0))
            .AddConstraint(SweepConstraint.AtMost(CompressionMetrics.BytesRatio, x.OptionDouble("max-bytes-ratio", 0.10)))
            .SetTuner(SweepTuner.MultiObjective(seed))
            .SetFidelities(fidelities, x.Option("eta", 2))
            .UseSensitivity(sensitivity)
            .SetMaxTrials(x.Option("max-trials", 60))
            .SetTrainingTimeInSeconds((uint)Math.Round(60 * sweepMinutes))
            .SetCheckpointFolder(Path.Combine(x.ArtifactDirectory, "checkpoint"));
        sweep.SetMonitor(new ConsoleMonitor(total));
        CompressionSweepResult result = sweep.RunAsync().GetAwaiter().GetResult();

        result.Sweep.SaveCsv(Path.Combine(x.ArtifactDirectory, "trials.csv"));
        result.Sweep.SaveJson(Path.Combine(x.ArtifactDirectory, "pareto.json"));
        result.Sweep.SaveParetoPlot(Path.Combine(x.ArtifactDirectory, "pareto.png"), CompressionMetrics.Bytes, CompressionMetrics.Accuracy, CompressionMetrics.LatencyMs,
            handPoints.Select(h => (h.Label, h.Trial.Metrics[CompressionMetrics.Bytes], h.Trial.Metrics[CompressionMetrics.Accuracy])));
        result.SaveModels(x.ArtifactDirectory);

        // A front member is dominated by a hand-tuned point at least as good in every objective and better in one; the
        // two-objective check (accuracy and bytes alone) is reported too.
        var dominated = result.ParetoFront.Where(p => handPoints.Any(h => ParetoFront.Dominates(h.Trial.Metrics, p.Metrics, objectives))).Select(p => p.Id).ToArray();
        var dominatedInSize = result.ParetoFront.Where(p => handPoints.Any(h => ParetoFront.Dominates(h.Trial.Metrics, p.Metrics, objectives.Take(2).ToArray()))).Select(p => p.Id).ToArray();

        // Each trial timed itself when it ran, the hand-tuned ones first and the front up to 40 minutes later, while the
        // machine's speed drifts. The same check with every front and hand-tuned model timed again side by side,
        // interleaved in one session set (accuracy and bytes as measured).
        static string FrontName(SweepTrial p) => "#" + p.Id.ToString(CultureInfo.InvariantCulture);
        var handTimed = handPoints.Select(h => (Name: "hand " + h.Label, Onnx: hand.ModelOf(h.Trial), h.Trial.Metrics)).ToArray();
        var timed = handTimed.Concat(result.ParetoFront.Select(p => (Name: FrontName(p), Onnx: result.ModelOf(p), p.Metrics))).ToArray();
        var sideBySideMs = OnnxLatency.MedianMilliseconds(timed.Select(t => (t.Name, t.Onnx)).Prepend(("fp32", fp32.Model.OnnxModel)).ToArray(),
            OnnxLatency.FirstRows(validation, "Features", options.LatencyBatchSize), options.LatencyThreads, options.LatencyBatchSize, rounds: 15, runsPerRound: 5);
        SweepMetrics Retimed(string name, IReadOnlyDictionary<string, double> m) => new(m) { [CompressionMetrics.LatencyMs] = sideBySideMs[name] };
        var handRetimed = handTimed.Select(t => Retimed(t.Name, t.Metrics)).ToArray();
        var dominatedSideBySide = result.ParetoFront.Where(p => handRetimed.Any(h => ParetoFront.Dominates(h, Retimed(FrontName(p), p.Metrics), objectives))).Select(p => p.Id).ToArray();

        SweepTrial? best = result.BestEffort;
        double? heldOutAccuracy = best is null ? null : HeldOutAccuracy(x, result.ModelOf(best), heldOut);
        x.Summary("start_accuracy_validation", Math.Round(startAccuracy, 4));
        x.Summary("start_onnx_bytes", result.Start[CompressionMetrics.Bytes]);
        x.Summary("trials", result.Sweep.Trials.Count);
        x.Summary("trials_failed", result.Sweep.Trials.Count(t => !t.Succeeded));
        x.Summary("proposals_skipped_by_size_bound", result.Sweep.Skipped.Count);
        x.Summary("stop_reason", result.Sweep.StopReason.ToString());
        x.Summary("front_size", result.ParetoFront.Count);
        x.Summary("front", result.ParetoFront.Select(t => $"#{t.Id} {CompressionSweepResult.SettingsOf(t)}: {t.Metrics[CompressionMetrics.Accuracy]:P2}, {t.Metrics[CompressionMetrics.BytesRatio]:F4} of fp32 bytes, {t.Metrics[CompressionMetrics.SpeedUp]:F2}x").ToArray());
        x.Summary("hand_tuned", handPoints.Select(h => $"{h.Label}: {h.Trial.Metrics[CompressionMetrics.Accuracy]:P2}, {h.Trial.Metrics[CompressionMetrics.BytesRatio]:F4} of fp32 bytes, {h.Trial.Metrics[CompressionMetrics.SpeedUp]:F2}x").ToArray());
        x.Summary("front_points_dominated_by_hand_tuned", dominated);
        x.Summary("front_points_dominated_by_hand_tuned_in_accuracy_and_bytes", dominatedInSize);
        x.Summary("side_by_side_speed_up", timed.Select(t => $"{t.Name}: {sideBySideMs["fp32"] / sideBySideMs[t.Name]:F2}x").ToArray());
        x.Summary("front_points_dominated_by_hand_tuned_side_by_side", dominatedSideBySide);
        x.Summary("front_distinct_points", result.ParetoFront.Select(t => (t.Metrics[CompressionMetrics.Accuracy], t.Metrics[CompressionMetrics.Bytes])).Distinct().Count());
        x.Summary("best_feasible", best is null ? "none" : $"#{best.Id} {CompressionSweepResult.SettingsOf(best)} (feasible: {best.Feasible})");
        if (best is not null)
        {
            x.Summary("best_bytes_ratio", Math.Round(best.Metrics[CompressionMetrics.BytesRatio], 4));
            x.Summary("best_minus_start_points_validation", Math.Round((best.Metrics[CompressionMetrics.Accuracy] - startAccuracy) * 100, 2));
            x.Summary("best_accuracy_held_out", Math.Round(heldOutAccuracy!.Value, 4));
            x.Summary("fp32_accuracy_held_out", Math.Round(HeldOutAccuracy(x, fp32.Model.OnnxModel, heldOut), 4));
        }
        x.Summary("sweep_minutes_total", Math.Round(total.Elapsed.TotalMinutes, 1));
    }

    // Accuracy of an exported model, run by ONNX Runtime, on rows no trial was selected on.
    private static double HeldOutAccuracy(ExperimentContext x, byte[] onnx, IDataView rows)
    {
        int count = (int)(rows.GetRowCount() ?? 5000);
        float[] features = OnnxLatency.FirstRows(rows, "Features", count);
        uint[] labels = rows.GetColumn<uint>("Label").ToArray();
        using var session = OnnxRunner.Open(onnx, 1);
        int[] predicted = OnnxRunner.Predict(session, features, labels.Length, 256);
        return (double)predicted.Zip(labels).Count(p => p.First == p.Second - 1) / labels.Length;
    }

    // One line per trial on the console as the sweep runs.
    private sealed class ConsoleMonitor(Stopwatch clock) : ISweepMonitor
    {
        public void TrialStarted(SweepTrialContext trial) =>
            Console.WriteLine($"[{clock.Elapsed:hh\\:mm\\:ss}] trial {trial.Id} (epochs {trial.Fidelity}): {CompressionSearchSpace.Decode(trial.Configuration, trial.Fidelity)}");

        public void TrialCompleted(SweepTrial trial) =>
            Console.WriteLine($"[{clock.Elapsed:hh\\:mm\\:ss}] trial {trial.Id}: accuracy {trial.Metrics[CompressionMetrics.Accuracy]:P2}, {trial.Metrics[CompressionMetrics.BytesRatio]:F4} of fp32 bytes, {trial.Metrics[CompressionMetrics.SpeedUp]:F2}x{(trial.Feasible ? ", feasible" : "")}{(trial.OnFront ? ", on the front" : "")} ({trial.Seconds:F0} s)");

        public void TrialFailed(SweepTrial trial) => Console.WriteLine($"[{clock.Elapsed:hh\\:mm\\:ss}] trial {trial.Id} failed: {trial.Error}");
    }
}
