using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Threading;
using Microsoft.ML.Compression.Analysis.Sensitivity;
using Microsoft.ML.Compression.Cli.Data;
using Microsoft.ML.Compression.Cli.Output;
using Microsoft.ML.Compression.Estimators;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Sweeps;
using Microsoft.ML.Data;

namespace Microsoft.ML.Compression.Cli.Commands;

/// <summary>
/// <c>sweep &lt;model.onnx&gt; --data &lt;images&gt; --validation &lt;images&gt; -o &lt;folder&gt;</c>: an AutoML-style
/// search over compression settings (the library's <see cref="CompressionSweep"/>) for the Pareto front of accuracy
/// against ONNX bytes, under "accuracy at least the starting model's minus a drop" and an optional size bound. Every
/// finished trial is checkpointed, so running the same command again after a crash or Ctrl+C continues the sweep.
/// </summary>
public static class SweepCommand
{
    /// <summary>Trials run when --trials is not given.</summary>
    public const int DefaultTrials = 20;

    /// <summary>The rows a trial's latency is timed on (fewer when the validation set is smaller).</summary>
    private const int LatencyBatch = 64;

    /// <summary>Runs the verb.</summary>
    public static int Run(CommandLine line)
    {
        var clock = Stopwatch.StartNew();
        string modelPath = Common.ModelPath(line);
        string dataPath = line.Required("data", "the training images: a folder with one subfolder per class or an IDX images file");
        string? labelsPath = line.String("labels");
        string validationPath = line.Required("validation", "the labelled images every trial is scored on: a class folder or an IDX images file");
        string? validationLabels = line.String("validation-labels");
        string output = line.Required("output", "the folder to write the results to (-o sweep-out)");
        if (output.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
            throw CliException.Usage($"Option --output expects a folder for sweep (it writes best.onnx, pareto-k.onnx, trials.csv... into it), got '{output}'.");
        int trials = line.Int("trials", DefaultTrials, min: 1);
        double? minutes = line.Has("minutes") ? line.Double("minutes", 0, min: 0.02, max: 1_000_000) : null;
        int[] epochs = Fidelities(line);
        double drop = line.Double("max-accuracy-drop", 1.0, min: 0, max: 100);
        double? maxBytesRatio = line.Has("max-bytes-ratio") ? line.Double("max-bytes-ratio", 1, min: 1e-6, max: 1000) : null;
        string tunerName = line.Choice("tuner", "multi", "multi", "cfo", "random");
        bool sensitivity = line.Has("sensitivity");
        string checkpoint = line.String("checkpoint") ?? Path.Combine(output, "checkpoint");
        string reportPath = line.String("report") ?? Path.Combine(output, "report.json");
        int seed = Common.Seed(line);
        int? maxImages = Common.MaxImages(line);
        var (mean, std) = Common.MeanStd(line);
        int threads = line.Int("threads", 0, min: 0);
        bool plain = line.Has("plain"), verbose = line.Has("verbose");
        line.RejectUnused(1);

        // Ctrl+C: with a trial running, stop after it (a second Ctrl+C stops at once); otherwise stop before the next.
        using var cancel = new CancellationTokenSource();
        var progress = ProgressDisplay.Create(plain);
        // Bytes first: the best trial is the smallest feasible model (the accuracy bound makes it good enough), and the
        // cost-frugal tuner shrinks the model under that bound. The front is the same either way.
        var objectives = new[] { new SweepObjective(CompressionMetrics.Bytes, false), new SweepObjective(CompressionMetrics.Accuracy, true) };
        var display = new SweepDisplay(progress.Terminal, objectives, cancel.Cancel);
        ConsoleCancelEventHandler onCtrlC = (_, e) =>
        {
            e.Cancel = true;
            if (!display.RequestStop()) cancel.Cancel();
        };
        Console.CancelKeyPress += onCtrlC;
        try
        {
            var ml = new MLContext(seed);
            ml.Log += (_, e) => Forward(e, verbose, display);

            NetworkGraph network = ModelFile.Import(modelPath);
            ImageSpec spec = ImageSpec.Create(ModelFile.ImageInputOf(network, modelPath), mean, std);
            ImageSet train = progress.Run($"Loading --data '{dataPath}'", null, _ => ImageLoader.Load(ml, dataPath, labelsPath, spec, maxImages, seed, "--data"));
            train.RequireLabels(network.ClassCount, "--data");
            ImageSet validation = progress.Run($"Loading --validation '{validationPath}'", null,
                _ => ImageLoader.Load(ml, validationPath, validationLabels, spec, maxImages, seed, "--validation"));
            validation.RequireLabels(network.ClassCount, "--validation");
            progress.Note($"{train.Count:N0} training and {validation.Count:N0} validation images ({spec}), {network.ClassCount} classes");
            foreach (string w in train.Warnings.Concat(validation.Warnings).Take(5)) progress.Note("warning: " + w);
            IDataView trainView = train.ToDataView(ml), validationView = validation.ToDataView(ml);

            using CompressedModelTransformer fp32 = ml.Transforms.Compression.ImportOnnx(modelPath);
            progress.Note(string.Create(CultureInfo.InvariantCulture,
                $"feasible: accuracy at most {drop} point(s) below the starting model's on the validation images{(maxBytesRatio is double r ? $" and bytes ratio <= {r}" : "")}"));

            var options = new CompressionSweep.Options { Seed = seed, ValidationRows = validation.Count, LatencyBatchSize = Math.Min(LatencyBatch, validation.Count) };
            if (threads > 0) options.Threads = threads;
            StartingPoint start = fp32;
            CompressionSweep sweep = ml.Transforms.Compression.CreateSweep(start, options)
                .SetDataset(trainView, validationView)
                .SetObjectives(objectives)
                .AddConstraint(SweepConstraint.AtMost(CompressionMetrics.AccuracyDrop, drop))
                .SetTuner(tunerName switch { "cfo" => SweepTuner.CostFrugal(seed), "random" => SweepTuner.Random(seed), _ => SweepTuner.MultiObjective(seed) })
                .SetMaxTrials(trials)
                .SetFidelities(epochs)
                .SetCheckpointFolder(checkpoint)
                .SetMonitor(display);
            if (maxBytesRatio is double ratio) sweep.AddConstraint(SweepConstraint.AtMost(CompressionMetrics.BytesRatio, ratio));
            if (minutes is double m) sweep.SetTrainingTimeInSeconds((uint)Math.Ceiling(m * 60));
            SensitivityReport? sensitivityReport = null;
            if (sensitivity)
            {
                var sensitivityOptions = new SensitivityOptions { MaxRows = validation.Count, Threads = threads > 0 ? threads : null };
                sensitivityReport = progress.Run($"Sensitivity of each layer ({validation.Count:N0} images)", null,
                    _ => ml.Transforms.Compression.AnalyzeSensitivity(start, validationView, sensitivityOptions));
                sweep.UseSensitivity(sensitivityReport);
            }

            Directory.CreateDirectory(output);
            progress.Note($"Sweeping {trials} trial(s){(minutes is null ? "" : $" or {minutes.Value.ToString(CultureInfo.InvariantCulture)} minute(s)")}, {tunerName} tuner, epochs {string.Join(",", epochs)}; checkpoint '{checkpoint}'");
            CompressionSweepResult result;
            try
            {
                result = display.Run(() => sweep.RunAsync(cancel.Token).GetAwaiter().GetResult());
            }
            catch (InvalidOperationException e) when (e.Message.Contains("holds another sweep", StringComparison.Ordinal) || e.Message.Contains("Use a new checkpoint folder", StringComparison.Ordinal))
            {
                throw CliException.Usage($"--checkpoint '{checkpoint}' is another sweep's: {e.Message} (give another --checkpoint, or the options of that sweep)");
            }

            SweepResult swept = result.Sweep;
            if (swept.StopReason == SweepStopReason.Cancelled)
                throw new CliException(ExitCodes.Cancelled,
                    $"cancelled after {swept.Trials.Count} finished trial(s); the results were not written. Run the same command again to continue from the checkpoint '{checkpoint}'.");

            return Write(result, output, reportPath, checkpoint, modelPath, train, validation, spec, drop, maxBytesRatio, trials, minutes, epochs,
                tunerName, seed, sensitivityReport, display, clock.Elapsed);
        }
        finally
        {
            Console.CancelKeyPress -= onCtrlC;
        }
    }

    /// <summary>Writes the result files, the JSON report and the summary line; fails (exit code 1) when no trial completed.</summary>
    private static int Write(CompressionSweepResult result, string output, string reportPath, string checkpoint, string modelPath, ImageSet train, ImageSet validation,
        ImageSpec spec, double drop, double? maxBytesRatio, int trials, double? minutes, int[] epochs, string tuner, int seed,
        SensitivityReport? sensitivity, SweepDisplay display, TimeSpan elapsed)
    {
        SweepResult swept = result.Sweep;
        swept.SaveCsv(Path.Combine(output, "trials.csv"));
        swept.SaveJson(Path.Combine(output, "pareto.json"));
        sensitivity?.SaveCsv(Path.Combine(output, "sensitivity.csv"));
        SweepTrial? best = result.BestEffort;
        if (best is null)
            throw new CliException(ExitCodes.Unexpected,
                $"none of the {swept.Trials.Count} trial(s) completed (trial {swept.Trials.FirstOrDefault()?.Id}: {swept.Trials.FirstOrDefault()?.Error}); see {Path.Combine(output, "trials.csv")}.");
        swept.SaveParetoPlot(Path.Combine(output, "pareto.png"), CompressionMetrics.Bytes, CompressionMetrics.Accuracy, CompressionMetrics.LatencyMs);
        // A front of an earlier run of the command may have had more members: their files would be stale.
        foreach (string stale in Directory.GetFiles(output, "pareto-*.onnx")) File.Delete(stale);
        result.SaveModels(output);

        object Trial(SweepTrial t, string? file) => new
        {
            id = t.Id,
            settings = CompressionSweepResult.SettingsOf(t).ToString(),
            fidelity = t.Fidelity,
            metrics = t.Metrics,
            feasible = t.Feasible,
            file = file is null ? null : Path.GetFullPath(Path.Combine(output, file)),
        };
        string? folder = Path.GetDirectoryName(Path.GetFullPath(reportPath));
        if (folder is not null) Directory.CreateDirectory(folder);
        ReportFile.Write(reportPath, new
        {
            tool = "mlnet-compress",
            verb = "sweep",
            input = Path.GetFullPath(modelPath),
            inputBytes = new FileInfo(modelPath).Length,
            output = Path.GetFullPath(output),
            checkpoint = Path.GetFullPath(checkpoint),
            settings = new
            {
                trials, minutes, epochs, tuner, sensitivity = sensitivity is not null,
                objectives = swept.Objectives.Select(o => o.ToString()),
                constraints = swept.Constraints.Select(c => c.ToString()),
            },
            data = new { source = Path.GetFullPath(train.Source), images = train.Count, classes = train.ClassNames, warnings = train.Warnings },
            validation = new { source = Path.GetFullPath(validation.Source), images = validation.Count },
            normalization = new { formula = "(pixel / 255 - mean[c]) / std[c]", mean = spec.Mean, std = spec.Std, layout = spec.Input.Layout.ToString().ToUpperInvariant(), shape = spec.Input.Shape },
            seed,
            start = result.Start,
            stopReason = swept.StopReason.ToString(),
            trialsRun = swept.Trials.Count,
            trialsThisRun = display.Evaluated.Count,
            feasibleTrials = swept.Trials.Count(t => t.Feasible),
            best = Trial(best, "best.onnx"),
            bestIsFeasible = result.Best is not null,
            paretoFront = result.ParetoFront.Select((t, k) => Trial(t, $"pareto-{k + 1}.onnx")),
            files = new[] { "trials.csv", "pareto.json", "pareto.png", "fp32.onnx", "best.onnx" }.Concat(sensitivity is null ? Array.Empty<string>() : new[] { "sensitivity.csv" }),
            seconds = Math.Round(elapsed.TotalSeconds, 2),
        });

        var m = best.Metrics;
        double startAccuracy = result.Start[CompressionMetrics.Accuracy];
        string feasible = result.Best is null
            ? string.Create(CultureInfo.InvariantCulture, $"no trial met accuracy >= {Math.Max(startAccuracy - drop / 100, 0):P2}{(maxBytesRatio is double r ? $" and bytes ratio <= {r}" : "")}; best effort")
            : "best";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Wrote {output}: {swept.Trials.Count} trial(s), {result.ParetoFront.Count} on the front; {feasible} trial {best.Id} [{CompressionSweepResult.SettingsOf(best)}]: accuracy {m[CompressionMetrics.Accuracy]:P2} (start {startAccuracy:P2}), bytes ratio {m[CompressionMetrics.BytesRatio]:0.000}, speed-up {m[CompressionMetrics.SpeedUp]:0.00}x; report {reportPath}"));
        return ExitCodes.Ok;
    }

    /// <summary><c>--epochs 1[,3]</c>: the fidelities, increasing epoch counts.</summary>
    private static int[] Fidelities(CommandLine line)
    {
        string? s = line.String("epochs");
        if (s is null) return new[] { 1 };
        string[] parts = s.Split(',', StringSplitOptions.TrimEntries);
        var epochs = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out epochs[i]) || epochs[i] < 1 || epochs[i] > 10_000 || (i > 0 && epochs[i] <= epochs[i - 1]))
                throw CliException.Usage($"Option --epochs expects increasing epoch counts of at least 1, comma-separated (e.g. 1 or 1,3), got '{s}'.");
        return epochs;
    }

    /// <summary>
    /// The library's log: everything with --verbose; otherwise only the sweep's resume line and the trials it replays
    /// from the checkpoint (the trials it runs are the display's lines).
    /// </summary>
    private static void Forward(LoggingEventArgs e, bool verbose, SweepDisplay display)
    {
        if (e.Kind < Runtime.ChannelMessageKind.Info) return;
        // MLContext prefixes "[Source=..., Kind=...] "; the sweep's own text follows it.
        string text = e.Message.StartsWith("[Source=", StringComparison.Ordinal) && e.Message.IndexOf("] ", StringComparison.Ordinal) is int end and > 0
            ? e.Message[(end + 2)..] : e.Message;
        if (verbose) display.Note($"[{e.Source}] {text}");
        else if (text.StartsWith("Resuming from ", StringComparison.Ordinal) || text.EndsWith("(from checkpoint)", StringComparison.Ordinal)) display.Note(text);
    }
}
