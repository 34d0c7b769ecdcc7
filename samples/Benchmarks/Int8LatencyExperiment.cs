using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Compression;
using Microsoft.ML.Compression.Analysis;
using Microsoft.ML.Compression.Estimators;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Quantization;
using Microsoft.ML.Compression.Zoo;
using Microsoft.ML.Data;

namespace Benchmarks;

/// <summary>
/// Int8 latency against fp32 in ONNX Runtime for the zoo's networks, in three forms: every Conv2d and Linear in int8,
/// slow layers kept float by rule alone (Check = Off) and the default, the rule and the measured check (KeepFloatWhereSlower). Weights
/// come from one quick epoch on random rows: latency depends on shapes, not on what was learned. All models of a
/// network are timed interleaved in one process (median per model); <c>--batch</c> (64) rows per run, <c>--threads</c> (1).
/// ONNX Runtime's profiler then splits the fp32, all-int8 and measured models' time by operator type. A LeNet-5 with
/// conv1 widened to 8 channels, timed beside LeNet-5's fp32 model, tests whether padding the narrow layer lets int8 pay.
/// </summary>
internal static class Int8LatencyExperiment
{
    private sealed class Row
    {
        public float[] Features { get; set; } = Array.Empty<float>();
        public uint Label { get; set; }
    }

    public static void Run(ExperimentContext context)
    {
        int batch = context.Option("batch", 64), threads = context.Option("threads", 1);
        var networks = new (string Name, NetworkGraph Network, float Scale)[]
        {
            ("lenet5", NetworkZoo.LeNet5(), 1),
            ("lenet5-bn", NetworkZoo.LeNet5(batchNorm: true), 1),
            ("lenet5-conv1x8", NetworkZoo.LeNet5(conv1Channels: 8), 1),
            ("resnet20", NetworkZoo.ResNet20(), 1),
            ("vgg", NetworkZoo.Vgg(), 1),
            ("mobilenetv2-28", NetworkZoo.MobileNetV2(), 1),
            ("resnet18-rgb32", NetworkZoo.ResNet18(ImageInput.Rgb(32, 32), 10, baseWidth: 16), 255),
            ("mobilenetv2-rgb32", NetworkZoo.MobileNetV2(ImageInput.Rgb(32, 32), 10, widthMultiplier: 0.5), 255),
        };
        var results = new List<Dictionary<string, object>>();
        byte[]? lenet5Fp32 = null;
        var total = Stopwatch.StartNew();
        foreach (var (name, network, scale) in networks)
        {
            IDataView data = RandomRows(context.Ml, network, Math.Max(128, batch), scale);
            using var fp32 = context.Ml.Transforms.Compression.Train(network, new NetworkTrainer.Options { Epochs = 1, BatchSize = 32, Threads = 1 }).Fit(data);
            CompressedModelTransformer Ptq(Int8LatencyOptions latency) =>
                context.Ml.Transforms.Compression.PostTrainingQuantization(fp32, new PostTrainingQuantizer.Options { CalibrationSamples = 128, Threads = 1, Latency = latency }).Fit(data);
            using var all = Ptq(new Int8LatencyOptions { KeepSlowLayersFloat = false });
            using var rule = Ptq(new Int8LatencyOptions { Check = Int8LatencyCheck.Off });
            using var measured = Ptq(new Int8LatencyOptions { Check = Int8LatencyCheck.KeepFloatWhereSlower, BatchSize = batch, Threads = threads });
            var models = new (string, CompressedModelTransformer)[] { ("fp32", fp32), ("all-int8", all), ("rule", rule), ("measured", measured) };
            float[] rows = OnnxLatency.FirstRows(data, "Features", batch);
            lenet5Fp32 ??= fp32.OnnxModel;
            // The widened LeNet-5 is judged against the real one's fp32 model, timed in the same rounds.
            bool widened = name == "lenet5-conv1x8";
            var timed = models.Select(m => (m.Item1, m.Item2.OnnxModel)).Concat(widened ? new[] { ("lenet5-fp32", lenet5Fp32) } : []).ToArray();
            var ms = OnnxLatency.MedianMilliseconds(timed, rows, threads, batch);
            var entry = new Dictionary<string, object> { ["network"] = name, ["macs"] = network.Macs };
            if (widened)
            {
                entry["lenet5_fp32_ms"] = Math.Round(ms["lenet5-fp32"], 4);
                entry["speed_up_over_lenet5_fp32"] = models.ToDictionary(m => m.Item1, m => Math.Round(ms["lenet5-fp32"] / ms[m.Item1], 3));
            }
            foreach (var (kind, model) in models)
            {
                entry[kind] = new Dictionary<string, object>
                {
                    ["ms"] = Math.Round(ms[kind], 4),
                    ["speed_up"] = Math.Round(ms["fp32"] / ms[kind], 3),
                    ["onnx_bytes"] = model.Report.OnnxBytes,
                    ["int8_layers"] = model.Compressed.Weights.Count,
                    ["float_layers"] = model.Compressed.Graph.Layers.Count(l => l.Kind is "Conv2d" or "Linear") - model.Compressed.Weights.Count,
                };
                File.WriteAllBytes(Path.Combine(context.ArtifactDirectory, $"{name}-{kind}.onnx"), model.OnnxModel);
            }
            // Where the time goes (ONNX Runtime's profiler, same batch and threads): the multiply-accumulate kernels
            // alone bound what int8 can gain on this CPU, whatever the quantize steps around them cost.
            var profiles = models.Where(m => m.Item1 is "fp32" or "all-int8" or "measured" || (widened && m.Item1 == "rule"))
                .ToDictionary(m => m.Item1, m => OperatorProfile.Measure(m.Item2.OnnxModel, rows, batch, threads));
            entry["operators"] = profiles.ToDictionary(p => p.Key, p => p.Value.ToDictionary(o => o.Key, o => new { ms = o.Value.Ms, nodes = o.Value.Nodes }));
            var (floatKernels, _) = OperatorProfile.Split(profiles["fp32"]);
            var (int8Kernels, int8Rest) = OperatorProfile.Split(profiles["all-int8"]);
            entry["kernel_speed_up_all_int8"] = Math.Round(floatKernels / int8Kernels, 3);
            Console.WriteLine($"{"",-18} profile: multiply-accumulate kernels fp32 {floatKernels:F2} ms, all-int8 {int8Kernels:F2} ms ({floatKernels / int8Kernels:F2}x); the rest of all-int8 {int8Rest:F2} ms");
            results.Add(entry);
            Console.WriteLine($"{name,-18} fp32 {ms["fp32"],8:F3} ms | all-int8 {ms["fp32"] / ms["all-int8"],5:F2}x | rule {ms["fp32"] / ms["rule"],5:F2}x ({rule.Compressed.Weights.Count} int8 layers) | measured {ms["fp32"] / ms["measured"],5:F2}x ({measured.Compressed.Weights.Count} int8 layers)");
            if (widened)
                Console.WriteLine($"{"",-18} against LeNet-5's fp32 ({ms["lenet5-fp32"]:F3} ms): fp32 {ms["lenet5-fp32"] / ms["fp32"]:F2}x, all-int8 {ms["lenet5-fp32"] / ms["all-int8"]:F2}x, rule {ms["lenet5-fp32"] / ms["rule"]:F2}x, measured {ms["lenet5-fp32"] / ms["measured"]:F2}x");
        }
        var json = new Dictionary<string, object>
        {
            ["experiment"] = context.Name,
            ["batch"] = batch,
            ["ort_threads"] = threads,
            ["note"] = "speed_up = fp32 ms / model ms, medians of interleaved runs in one process; weights from one epoch on random rows",
            ["networks"] = results,
            ["wall_seconds"] = Math.Round(total.Elapsed.TotalSeconds, 1),
        };
        string path = Path.Combine(context.ArtifactDirectory, "results.json");
        File.WriteAllText(path, JsonSerializer.Serialize(json, new JsonSerializerOptions { WriteIndented = true }));
        Console.WriteLine($"Wrote {path}");
    }

    // Uniform pixels (0..1 for the 28x28 networks, which read scaled values; 0..255 for ImageInput ones, which normalize).
    private static IDataView RandomRows(MLContext ml, NetworkGraph network, int count, float scale)
    {
        var random = new Random(7);
        int size = network.InputSize;
        var rows = Enumerable.Range(0, count).Select(i => new Row
        {
            Features = Enumerable.Range(0, size).Select(_ => (float)random.NextDouble() * scale).ToArray(),
            Label = (uint)(i % network.ClassCount),
        }).ToArray();
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, size);
        return ml.Data.LoadFromEnumerable(rows, schema);
    }
}
