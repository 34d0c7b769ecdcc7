using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using Microsoft.ML.Compression.Analysis;
using Microsoft.ML;
using Microsoft.ML.Compression;
using Microsoft.ML.Compression.Estimators;
using Microsoft.ML.Compression.Onnx.Import;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;

namespace Benchmarks;

/// <summary>
/// onnx-compress: imports an ONNX classifier someone else trained (PyTorch, Keras, ...), then PTQ int8, QAT and
/// L1-norm pruning with fine-tuning, all starting from the imported model. Every model, the original file included, is
/// scored by ONNX Runtime directly on the whole test set and timed with the same rows per run in one process. PTQ runs
/// twice: with the slow layers kept float by rule alone (ptq-rule) and with the defaults, which add the measured
/// latency check (ptq).
/// Writes artifacts/onnx-compress/&lt;model name&gt;/results.json and the compressed .onnx files.
/// </summary>
internal static class OnnxCompressExperiment
{
    private const int EvaluationRows = 256; // rows per ORT run when scoring a model with a symbolic batch

    public static void Run(ExperimentContext x)
    {
        string model = x.Text("model", "");
        if (model.Length == 0) throw new ArgumentException("onnx-compress needs --model FILE.onnx (and --data mnist|fashion).");
        model = Path.GetFullPath(model);
        switch (x.Text("data", "mnist").ToLowerInvariant())
        {
            case "mnist": x.UseMnist(); break;
            case "fashion" or "fashion-mnist": x.UseFashionMnist(); break;
            case var other: throw new ArgumentException($"--data {other}: use mnist or fashion.");
        }
        if (x.Has("mean") || x.Has("std")) x.NormalizeFeatures(x.OptionDouble("mean", 0), x.OptionDouble("std", 1));
        int threads = x.Option("threads", 1), epochs = x.Option("epochs", 1);
        string folder = Path.Combine(x.ArtifactDirectory, x.Text("out", Path.GetFileNameWithoutExtension(model)));
        Directory.CreateDirectory(folder);
        var watch = Stopwatch.StartNew();

        OnnxImportReport report = OnnxImport.Inspect(model);
        Console.WriteLine(report);
        var json = new Dictionary<string, object?>
        {
            ["experiment"] = x.Name, ["model_file"] = model, ["dataset"] = x.Dataset,
            ["normalization"] = x.Has("mean") || x.Has("std") ? new { mean = x.OptionDouble("mean", 0), std = x.OptionDouble("std", 1) } : null,
            ["import"] = ImportSummary(report),
        };
        if (!report.CanImport)
        {
            Write(folder, json, watch);
            Console.WriteLine($"{model} cannot be imported: {string.Join(" | ", report.Problems)}");
            return;
        }

        (float[] features, int[] labels) = ReadTest(x.Test);
        byte[] original = File.ReadAllBytes(model);
        int rowsPerRun;
        using (InferenceSession session = OnnxRunner.Open(original, threads))
        {
            long size = OnnxRunner.SampleSize(session);
            if (size != features.Length / labels.Length)
                throw new NotSupportedException($"The model's input takes {size} values per sample; {x.Dataset} has {features.Length / labels.Length}.");
            rowsPerRun = OnnxRunner.FixedBatch(session) ?? OnnxLatency.BatchSize;
        }

        var c = x.Ml.Transforms.Compression;
        var models = new List<Entry> { new("original", "original", original, null, 0, null) };
        using CompressedModelTransformer imported = c.ImportOnnx(model);
        models.Add(Measure(x, "imported", () => imported, owned: false));
        // The rule alone (Check = Off), then the default: the rule and the measured check, which keeps float the int8
        // layers that make the model slower than fp32 at this batch and thread count.
        models.Add(Measure(x, "ptq-rule", () => c.PostTrainingQuantization(imported, new PostTrainingQuantizer.Options
        {
            CalibrationSamples = 512, Latency = new() { Check = Microsoft.ML.Compression.Quantization.Int8LatencyCheck.Off },
        }).Fit(x.Train)));
        models.Add(Measure(x, "ptq", () => c.PostTrainingQuantization(imported, new PostTrainingQuantizer.Options
        {
            CalibrationSamples = 512,
            Latency = new() { BatchSize = rowsPerRun, Threads = threads },
        }).Fit(x.Train)));
        models.Add(Measure(x, "qat", () => c.QuantizeAwareTraining(imported, new QuantizeAwareTrainer.Options { Epochs = epochs }).Fit(x.Train)));
        models.Add(Measure(x, "l1-30", () => c.L1NormPruning(imported, new L1NormPruner.Options { PruneRate = 0.3, Epochs = epochs }).Fit(x.Train)));

        string? logits = report.Outputs.Any(o => o.Name == report.LogitsTensor) ? report.LogitsTensor : null;
        int[] reference = Predict(original, features, labels.Length, threads, logits);
        var measured = models.Where(m => m.Onnx is not null).ToArray();
        float[] latencyRows = features.AsSpan(0, rowsPerRun * (features.Length / labels.Length)).ToArray();
        var latency = OnnxLatency.MedianMilliseconds(measured.Select(m => (m.Name, m.Onnx!)).ToArray(), latencyRows, threads, rowsPerRun);

        var rows = new List<Dictionary<string, object?>>();
        Console.WriteLine();
        Console.WriteLine($"| {Path.GetFileName(model)} | method | accuracy (ORT) | ML.NET accuracy | agrees with original | ONNX bytes | ORT ms per {rowsPerRun} rows ({threads} thr) | fit s |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (Entry m in models)
        {
            int[]? predicted = m.Onnx is null ? null : m.Name == "original" ? reference : Predict(m.Onnx, features, labels.Length, threads, null);
            double? accuracy = predicted is null ? null : predicted.Zip(labels).Count(p => p.First == p.Second) / (double)labels.Length;
            double? agreement = predicted is null ? null : predicted.Zip(reference).Count(p => p.First == p.Second) / (double)labels.Length;
            double? ms = m.Onnx is null ? null : latency[m.Name];
            if (m.Onnx is not null && m.Name != "original") File.WriteAllBytes(Path.Combine(folder, m.Name + ".onnx"), m.Onnx);
            rows.Add(new()
            {
                ["name"] = m.Name, ["method"] = m.Method, ["accuracy_percent"] = Round(accuracy * 100, 2), ["mlnet_accuracy_percent"] = Round(m.MlNetAccuracy * 100, 2),
                ["agreement_with_original_percent"] = Round(agreement * 100, 2), ["onnx_bytes"] = m.Onnx?.LongLength,
                ["ort_latency_ms_per_run"] = Round(ms, 3), ["fit_seconds"] = Math.Round(m.FitSeconds, 1), ["error"] = m.Error,
            });
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {m.Name} | {m.Method} | {accuracy * 100:F2} | {m.MlNetAccuracy * 100:F2} | {agreement * 100:F2} | {m.Onnx?.LongLength:N0} | {ms:F3} | {m.FitSeconds:F0} |{(m.Error is null ? "" : " error: " + m.Error)}"));
        }
        json["ort_threads"] = threads;
        json["ort_rows_per_run"] = rowsPerRun;
        json["latency_method"] = "median over interleaved repetitions of one run of the first test rows, all models in the same process";
        json["epochs"] = epochs;
        json["train_rows"] = x.Has("train-rows") ? x.Option("train-rows", 0) : null;
        json["models"] = rows;
        Write(folder, json, watch);
        foreach (Entry m in models) m.Owned?.Dispose();
    }

    /// <summary>One measured model: its ONNX bytes and ML.NET accuracy, or the error that stopped it.</summary>
    private sealed record Entry(string Name, string Method, byte[]? Onnx, double? MlNetAccuracy, double FitSeconds, string? Error)
    {
        public CompressedModelTransformer? Owned { get; init; }
    }

    private static Entry Measure(ExperimentContext x, string name, Func<CompressedModelTransformer> fit, bool owned = true)
    {
        Console.WriteLine($"=== {name} ===");
        var watch = Stopwatch.StartNew();
        try
        {
            CompressedModelTransformer model = fit();
            double seconds = watch.Elapsed.TotalSeconds;
            double accuracy = x.Ml.MulticlassClassification.Evaluate(model.Transform(x.Test)).MicroAccuracy;
            Console.WriteLine($"{name}: {accuracy:P2}, {model.Report.OnnxBytes:N0} ONNX bytes, fit {seconds:F0}s");
            return new Entry(name, model.Report.Method, model.OnnxModel, accuracy, seconds, null) { Owned = owned ? model : null };
        }
        catch (Exception e) when (e is NotSupportedException or ArgumentException or InvalidOperationException)
        {
            string error = e.Message.ReplaceLineEndings(" ");
            Console.WriteLine($"{name} failed: {error}"); // one method failing leaves the others' results
            return new Entry(name, name, null, null, watch.Elapsed.TotalSeconds, error);
        }
    }

    private static int[] Predict(byte[] onnx, float[] features, int rows, int threads, string? output)
    {
        using InferenceSession session = OnnxRunner.Open(onnx, threads);
        return OnnxRunner.Predict(session, features, rows, OnnxRunner.FixedBatch(session) ?? EvaluationRows, output);
    }

    /// <summary>Every test row's features (flattened) and 0-based class.</summary>
    private static (float[] Features, int[] Labels) ReadTest(IDataView test)
    {
        var features = new List<float>();
        var labels = new List<int>();
        using var cursor = test.GetRowCursor(new[] { test.Schema["Features"], test.Schema["Label"] });
        var getFeatures = cursor.GetGetter<VBuffer<float>>(test.Schema["Features"]);
        var getLabel = cursor.GetGetter<uint>(test.Schema["Label"]);
        VBuffer<float> row = default;
        uint label = 0;
        while (cursor.MoveNext())
        {
            getFeatures(ref row);
            getLabel(ref label);
            features.AddRange(row.DenseValues());
            labels.Add((int)label - 1); // keys are 1-based
        }
        return (features.ToArray(), labels.ToArray());
    }

    private static Dictionary<string, object?> ImportSummary(OnnxImportReport r) => new()
    {
        ["can_import"] = r.CanImport,
        ["problems"] = r.Problems,
        ["producer"] = $"{r.ProducerName} {r.ProducerVersion}".Trim(),
        ["ir_version"] = r.IrVersion,
        ["opsets"] = r.Opsets,
        ["input"] = r.Input is { } i ? new { name = i.Name, element_type = i.ElementType, dims = i.Dimensions, batch = i.BatchDimension, fixed_batch = i.HasFixedBatch, layout = r.InputLayout } : null,
        ["outputs"] = r.Outputs.Select(o => o.ToString()).ToArray(),
        ["ops"] = r.OperatorCounts,
        ["logits"] = r.LogitsTensor,
        ["final_softmax"] = r.FinalSoftmax,
        ["unsupported"] = r.UnsupportedOperators.Select(u => u.ToString()).ToArray(),
        ["network"] = r.Network is { } n ? new { name = n.Name, input_shape = n.InputShape, classes = n.ClassCount, layers = n.Layers.Count, parameters = n.ParameterCount, macs = n.Macs } : null,
        ["summary"] = r.ToString(),
    };

    private static double? Round(double? value, int digits) => value is double v ? Math.Round(v, digits) : null;

    private static void Write(string folder, Dictionary<string, object?> json, Stopwatch watch)
    {
        json["wall_seconds"] = Math.Round(watch.Elapsed.TotalSeconds, 1);
        string path = Path.Combine(folder, "results.json");
        File.WriteAllText(path, JsonSerializer.Serialize(json, new JsonSerializerOptions { WriteIndented = true }));
        Console.WriteLine($"Wrote {path}");
    }
}
