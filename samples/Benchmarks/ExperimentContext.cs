using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using Microsoft.ML.Compression.Analysis;
using Microsoft.ML;
using Microsoft.ML.Compression.Datasets;
using Microsoft.ML.Compression.Estimators;
using Microsoft.ML.Runtime;
using SampleData;

namespace Benchmarks;

/// <summary>What every experiment needs: data, evaluation, the artifact folder, ORT latency and the results file.</summary>
internal sealed class ExperimentContext : IDisposable
{
    private readonly Dictionary<string, string> _args = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<ModelResult> _models = new();
    private readonly Dictionary<string, object> _summary = new(StringComparer.Ordinal);
    private readonly Stopwatch _watch = Stopwatch.StartNew();
    private readonly List<CompressedModelTransformer> _owned = new();

    public ExperimentContext(string name, string[] args)
    {
        Name = name;
        for (int i = 0; i + 1 < args.Length; i += 2)
            _args[args[i].TrimStart('-')] = args[i + 1];
        DataRoot = SampleDatasets.FindRepositoryDataRoot(AppContext.BaseDirectory);
        ArtifactDirectory = Path.Combine(Path.GetDirectoryName(DataRoot)!, "artifacts", name);
        Directory.CreateDirectory(ArtifactDirectory);
        Ml = new MLContext(seed: 0);
        Ml.Log += (_, e) =>
        {
            if (e.Kind == ChannelMessageKind.Info && e.Source.Contains("Compression", StringComparison.Ordinal))
                Console.WriteLine($"[{_watch.Elapsed:mm\\:ss}] {e.RawMessage}");
        };
    }

    public string Name { get; }
    public MLContext Ml { get; }
    public string DataRoot { get; }
    public string ArtifactDirectory { get; }
    public IDataView Train { get; private set; } = null!;
    public IDataView Test { get; private set; } = null!;
    public string Dataset { get; private set; } = "";

    /// <summary>An integer command-line option (<c>--name N</c>) or its default.</summary>
    public int Option(string name, int defaultValue) =>
        _args.TryGetValue(name, out string? v) ? int.Parse(v, CultureInfo.InvariantCulture) : defaultValue;

    /// <summary>A text command-line option or its default.</summary>
    public string Text(string name, string defaultValue) => _args.TryGetValue(name, out string? v) ? v : defaultValue;

    /// <summary>A floating-point command-line option or its default.</summary>
    public double OptionDouble(string name, double defaultValue) =>
        _args.TryGetValue(name, out string? v) ? double.Parse(v, CultureInfo.InvariantCulture) : defaultValue;

    /// <summary>The bit widths to run: <c>--bits 4,2</c> or all of <paramref name="defaults"/>.</summary>
    public IEnumerable<int> Bits(int[] defaults) =>
        _args.TryGetValue("bits", out string? v) ? v.Split(',').Select(b => int.Parse(b, CultureInfo.InvariantCulture)) : defaults;

    public void UseMnist()
    {
        string dir = SampleDatasets.EnsureMnist(DataRoot, Console.WriteLine);
        (Dataset, Train, Test) = ("mnist", Ml.Data.Cache(TrainRows(MnistIdx.Load(Ml, dir, MnistSplit.Train))), Ml.Data.Cache(MnistIdx.Load(Ml, dir, MnistSplit.Test)));
    }

    public void UseFashionMnist()
    {
        string dir = SampleDatasets.EnsureFashionMnist(DataRoot, Console.WriteLine);
        (Dataset, Train, Test) = ("fashion-mnist", Ml.Data.Cache(TrainRows(FashionMnist.Load(Ml, dir, FashionSplit.Train))), Ml.Data.Cache(FashionMnist.Load(Ml, dir, FashionSplit.Test)));
    }

    /// <summary>The training rows, or their first <c>--train-rows N</c> (a quicker run; the results file records it).</summary>
    private IDataView TrainRows(IDataView train)
    {
        if (!Has("train-rows")) return train;
        Summary("train_rows", Option("train-rows", 0));
        return Ml.Data.TakeRows(train, Option("train-rows", 0));
    }

    /// <summary>The middle value (the mean of the two middle ones for an even count).</summary>
    public static double Median(IEnumerable<double> values)
    {
        double[] v = values.Order().ToArray();
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }

    /// <summary>True when the command line gives <c>--name</c>.</summary>
    public bool Has(string name) => _args.ContainsKey(name);

    /// <summary>Replaces the loaded data's 784 features x by (x - <paramref name="mean"/>) / <paramref name="std"/> (a model trained on normalized pixels).</summary>
    public void NormalizeFeatures(double mean, double std)
    {
        if (!(std > 0)) throw new ArgumentOutOfRangeException(nameof(std), std, "--std must be positive.");
        float m = (float)mean, s = (float)std;
        var map = Ml.Transforms.CustomMapping<PixelRow, PixelRow>((input, output) =>
        {
            output.Features = new float[input.Features.Length];
            for (int i = 0; i < input.Features.Length; i++) output.Features[i] = (input.Features[i] - m) / s;
        }, contractName: null);
        Train = Ml.Data.Cache(map.Fit(Train).Transform(Train));
        Test = Ml.Data.Cache(map.Fit(Test).Transform(Test));
    }

    private sealed class PixelRow
    {
        [Microsoft.ML.Data.VectorType(784)] public float[] Features { get; set; } = Array.Empty<float>();
    }

    /// <summary>Fits <paramref name="estimator"/>, times it, evaluates on the test set through ML.NET and saves the ONNX file.</summary>
    public ModelResult Run(string name, IEstimator<CompressedModelTransformer> estimator, Func<IEstimator<CompressedModelTransformer>, CompressedModelTransformer>? fit = null)
    {
        Console.WriteLine($"[{_watch.Elapsed:mm\\:ss}] === {name} ===");
        var watch = Stopwatch.StartNew();
        CompressedModelTransformer model = fit is null ? estimator.Fit(Train) : fit(estimator);
        double fitSeconds = watch.Elapsed.TotalSeconds;
        _owned.Add(model);
        var metrics = Ml.MulticlassClassification.Evaluate(model.Transform(Test));
        string file = name + ".onnx";
        model.SaveOnnx(Path.Combine(ArtifactDirectory, file));
        var history = model.Report.History;
        // A plan's last step reports against the network that step started from; the experiment compares with the plan's start.
        var result = new ModelResult(name, file, model.Report.Method, metrics.MicroAccuracy, model.Report.Parameters, model.Report.Macs,
            model.Report.OnnxBytes, model.Plan?.OnnxRatio ?? model.Report.OnnxRatio, history.Count, history.Count > 0 ? history.Average(h => h.Seconds) : null,
            history.Count > 0 ? history.Min(h => h.Seconds) : null, fitSeconds, model);
        _models.Add(result);
        Console.WriteLine($"[{_watch.Elapsed:mm\\:ss}] {name}: accuracy {metrics.MicroAccuracy:P2}, {model.Report.OnnxBytes:N0} ONNX bytes, fit {fitSeconds:F0}s");
        Console.WriteLine(model.Report);
        return result;
    }

    /// <summary>
    /// Epoch time of <paramref name="compressed"/> / epoch time of <paramref name="baseline"/>, from one-epoch runs on the
    /// same 10,000 rows alternating between the two (three rounds, median of each): the epoch times of the main runs
    /// drift with the load of a shared machine. Both should fine-tune the same trained weights (a fresh network trains
    /// measurably faster per step than a trained one). The times go to the summary under <paramref name="label"/>.
    /// </summary>
    public double InterleavedEpochRatio(string label, Func<IEstimator<CompressedModelTransformer>> baseline, Func<IEstimator<CompressedModelTransformer>> compressed)
    {
        IDataView rows = Ml.Data.TakeRows(Train, 10_000);
        var baseSeconds = new List<double>();
        var compressedSeconds = new List<double>();
        for (int round = 0; round < 3; round++)
        {
            using (var f = baseline().Fit(rows)) baseSeconds.Add(f.Report.History[0].Seconds);
            using (var q = compressed().Fit(rows)) compressedSeconds.Add(q.Report.History[0].Seconds);
        }
        Summary($"interleaved_epoch_seconds_fp32_vs_{label}", baseSeconds.Select(s => Math.Round(s, 2)).ToArray());
        Summary($"interleaved_epoch_seconds_{label}", compressedSeconds.Select(s => Math.Round(s, 2)).ToArray());
        return Math.Round(compressedSeconds.Order().ElementAt(1) / baseSeconds.Order().ElementAt(1), 3);
    }

    private readonly List<Action> _afterLatency = new();

    /// <summary>Runs <paramref name="action"/> once latencies are measured (to add latency ratios to the summary).</summary>
    public void AfterLatency(Action action) => _afterLatency.Add(action);

    /// <summary>Adds a derived figure (a target's measured value) to the results file.</summary>
    public void Summary(string key, object value) => _summary[key] = value;

    /// <summary>Measures ORT latency of every model run so far, then writes results.json and prints the table.</summary>
    public void Finish()
    {
        if (_models.Count == 0) return; // an experiment that writes its own results (onnx-compress)
        int threads = Option("threads", 1);
        float[] batch = OnnxLatency.FirstRows(Test, _models[0].Model.FeatureColumnName, OnnxLatency.BatchSize);
        var latencies = OnnxLatency.MedianMilliseconds(_models.Select(m => (m.Name, m.Model.OnnxModel)).ToArray(), batch, threads);
        foreach (var m in _models) m.LatencyMs = latencies[m.Name];
        foreach (var action in _afterLatency) action();

        var json = new Dictionary<string, object>
        {
            ["experiment"] = Name,
            ["dataset"] = Dataset,
            ["network"] = _models[0].Model.Report.Network,
            ["ort_threads"] = threads,
            ["ort_batch"] = OnnxLatency.BatchSize,
            ["latency_method"] = "median over interleaved repetitions of one batch, all models in the same process",
            ["models"] = _models.Select(m => m.ToJson()).ToArray(),
            ["summary"] = _summary,
            ["wall_seconds"] = Math.Round(_watch.Elapsed.TotalSeconds, 1),
        };
        string path = Path.Combine(ArtifactDirectory, "results.json");
        File.WriteAllText(path, JsonSerializer.Serialize(json, new JsonSerializerOptions { WriteIndented = true }));

        Console.WriteLine();
        Console.WriteLine($"| {Name} | method | accuracy | params | MACs | ONNX bytes | vs fp32 | ORT ms/batch{OnnxLatency.BatchSize} ({threads} thr) | train s/epoch |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var m in _models)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {m.Name} | {m.Method} | {m.Accuracy:P2} | {m.Parameters:N0} | {m.Macs:N0} | {m.OnnxBytes:N0} | {m.OnnxRatio:F3} | {m.LatencyMs:F2} | {(m.SecondsPerEpoch is double s ? s.ToString("F1", CultureInfo.InvariantCulture) : "-")} |"));
        foreach (var (key, value) in _summary)
            Console.WriteLine($"{key}: {(value is System.Collections.IEnumerable list and not string ? string.Join(", ", list.Cast<object>().Select(v => Convert.ToString(v, CultureInfo.InvariantCulture))) : Convert.ToString(value, CultureInfo.InvariantCulture))}");
        Console.WriteLine($"Wrote {path} ({_watch.Elapsed.TotalMinutes:F1} min)");
    }

    public void Dispose()
    {
        foreach (var m in _owned) m.Dispose();
    }
}

/// <summary>One measured model.</summary>
internal sealed record ModelResult(string Name, string File, string Method, double Accuracy, long Parameters, long Macs, long OnnxBytes,
    double OnnxRatio, int Epochs, double? SecondsPerEpoch, double? FastestEpochSeconds, double FitSeconds, CompressedModelTransformer Model)
{
    public double LatencyMs { get; set; }

    public Dictionary<string, object?> ToJson() => new()
    {
        ["name"] = Name,
        ["file"] = File,
        ["method"] = Method,
        ["accuracy"] = Math.Round(Accuracy, 6),
        ["params"] = Parameters,
        ["macs"] = Macs,
        ["onnx_bytes"] = OnnxBytes,
        ["onnx_ratio_to_fp32"] = Math.Round(OnnxRatio, 4),
        ["ort_latency_ms_per_batch"] = Math.Round(LatencyMs, 3),
        ["epochs"] = Epochs,
        ["train_seconds_per_epoch"] = SecondsPerEpoch is double s ? Math.Round(s, 2) : null,
        ["fastest_epoch_seconds"] = FastestEpochSeconds is double f ? Math.Round(f, 2) : null,
        ["fit_seconds"] = Math.Round(FitSeconds, 1),
    };
}
