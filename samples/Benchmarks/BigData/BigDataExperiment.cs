using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Compression;
using Microsoft.ML.Compression.Estimators;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Training;

namespace Benchmarks.BigData;

/// <summary>
/// big-data: trains on a data set larger than memory as floats (100,000 RGB 64x64 images = 4.9 GB), streamed from a
/// file through an IDataView, with DataCache Auto (which must choose disk), and records the peak working set and
/// images/s; then compares one epoch's throughput with the rows in memory and on disk on a 20,000-image subset.
///   dotnet run -c Release --project samples/Benchmarks -- big-data [--images N] [--subset N] [--batch-size N] [--repeats N] [--torch-threads N]
/// </summary>
internal static class BigDataExperiment
{
    private const int Channels = 3, Size = 64;

    public static void Run(ExperimentContext x)
    {
        int images = x.Option("images", 100_000), subset = x.Option("subset", 20_000);
        int batchSize = x.Option("batch-size", 128), repeats = x.Option("repeats", 3);
        int? threads = x.Has("torch-threads") ? x.Option("torch-threads", 1) : null;
        var watch = Stopwatch.StartNew();
        string path = Path.Combine(Path.GetTempPath(), $"big-data-{Environment.ProcessId}.bin");
        var json = new Dictionary<string, object?> { ["experiment"] = x.Name };
        try
        {
            var generate = Stopwatch.StartNew();
            SyntheticImageFile.Write(path, images, Channels, Size, Size, seed: 0);
            Console.WriteLine($"Wrote {images:N0} images ({new FileInfo(path).Length / 1e9:F2} GB) in {generate.Elapsed.TotalSeconds:F0} s");
            json["dataset"] = new
            {
                images, channels = Channels, height = Size, width = Size, classes = SyntheticImageFile.Classes,
                file_bytes = new FileInfo(path).Length, float_bytes = (long)images * Channels * Size * Size * sizeof(float),
                generate_seconds = Math.Round(generate.Elapsed.TotalSeconds, 1),
            };

            // 1. Everything, once, with the default DataCache (Auto).
            Measured big = Train(x, new ImageFileDataView(path), DataCaching.Auto, batchSize, threads);
            long peak = big.PeakBytes;
            Console.WriteLine($"{images:N0} images, Auto ({big.Storage}): {big.ImagesPerSecond:F0} images/s in the epoch, Fit {big.FitSeconds:F0} s, " +
                $"peak working set {peak / 1e9:F2} GB, training accuracy {big.Accuracy:P1}");
            json["full"] = new
            {
                data_cache = "Auto", storage = big.Storage, batch_size = batchSize, torch_threads = threads,
                peak_working_set_bytes = peak, peak_working_set_gb = Math.Round(peak / 1e9, 3), peak_method = PeakMemory.Method,
                images_per_second = Math.Round(big.ImagesPerSecond, 1), epoch_seconds = Math.Round(big.EpochSeconds, 1),
                fit_seconds = Math.Round(big.FitSeconds, 1), train_accuracy = Math.Round(big.Accuracy, 4),
                target_peak_gb = 1.5, meets_target = peak <= 1_500_000_000L,
            };

            // 2. The same network on a subset, memory against disk, interleaved (and the order alternated) so load from
            // elsewhere and warm-up hit both alike.
            var subsetView = new ImageFileDataView(path, subset);
            var memory = new List<Measured>();
            var disk = new List<Measured>();
            for (int r = 0; r < repeats; r++)
            {
                if (r % 2 == 1) disk.Add(Train(x, subsetView, DataCaching.Disk, batchSize, threads));
                memory.Add(Train(x, subsetView, DataCaching.Memory, batchSize, threads));
                if (r % 2 == 0) disk.Add(Train(x, subsetView, DataCaching.Disk, batchSize, threads));
                Console.WriteLine($"Subset round {r + 1}: memory {memory[^1].ImagesPerSecond:F0} images/s, disk {disk[^1].ImagesPerSecond:F0} images/s");
            }
            double bestMemory = memory.Max(m => m.ImagesPerSecond), bestDisk = disk.Max(d => d.ImagesPerSecond);
            double medianRatio = ExperimentContext.Median(disk.Select(d => d.ImagesPerSecond)) / ExperimentContext.Median(memory.Select(m => m.ImagesPerSecond));
            bool identical = memory[0].Onnx.AsSpan().SequenceEqual(disk[0].Onnx);
            Console.WriteLine($"Subset of {subset:N0}: disk/memory throughput {bestDisk / bestMemory:F3} (best of {repeats}), {medianRatio:F3} (medians); identical models: {identical}");
            json["subset"] = new
            {
                images = subset, batch_size = batchSize, repeats,
                memory_images_per_second = memory.Select(m => Math.Round(m.ImagesPerSecond, 1)).ToArray(),
                disk_images_per_second = disk.Select(d => Math.Round(d.ImagesPerSecond, 1)).ToArray(),
                disk_to_memory_throughput = Math.Round(bestDisk / bestMemory, 3),
                disk_to_memory_throughput_of_medians = Math.Round(medianRatio, 3),
                target_ratio = 0.9, meets_target = bestDisk >= 0.9 * bestMemory,
                identical_models = identical,
            };
        }
        finally
        {
            File.Delete(path);
        }
        json["method"] = "one epoch per run, images/s = images / training seconds of the epoch (excludes reading the view into the cache); " +
            "peak working set from VmHWM, reset (after a full GC) before the 100,000-image Fit, the first in the process (no peak is given " +
            "for the subset: after a memory-mode Fit the GC keeps its freed memory, so later peaks start high); subset: best (and median) of the interleaved repeats, order alternated";
        json["wall_seconds"] = Math.Round(watch.Elapsed.TotalSeconds, 1);
        string output = Path.Combine(x.ArtifactDirectory, "results.json");
        File.WriteAllText(output, JsonSerializer.Serialize(json, new JsonSerializerOptions { WriteIndented = true }));
        Console.WriteLine($"Wrote {output}");
    }

    private sealed record Measured(string Storage, double EpochSeconds, double ImagesPerSecond, double FitSeconds, double Accuracy, byte[] Onnx, long PeakBytes);

    private static Measured Train(ExperimentContext x, IDataView data, DataCaching caching, int batchSize, int? threads)
    {
        EpochMetrics? epoch = null;
        int openCaches = -1;
        var options = new NetworkTrainer.Options
        {
            Epochs = 1, BatchSize = batchSize, Seed = 0, DataCache = caching, Threads = threads,
            OnEpoch = m => { epoch = m; openCaches = CacheFiles.Open(); },
        };
        PeakMemory.Reset();
        var watch = Stopwatch.StartNew();
        using var model = x.Ml.Transforms.Compression.Train(Network(), options).Fit(data);
        double fit = watch.Elapsed.TotalSeconds;
        long rows = data.GetRowCount() ?? 0;
        string storage = openCaches < 0 ? "unknown" : openCaches > 0 ? "Disk" : "Memory";
        return new Measured(storage, epoch!.Seconds, rows / epoch.Seconds, fit, epoch.TrainAccuracy, model.OnnxModel, PeakMemory.Bytes());
    }

    // A 2x2 average-pooling stem, two stride-2 convolutions, global average pooling and a linear classifier: the
    // benchmark measures the data path, so the network is kept cheap enough for a 100,000-image epoch on two cores.
    private static NetworkGraph Network()
    {
        var b = new NetworkBuilder("small", new ImageInput(Channels, Size, Size) { Mean = new[] { 127.5f }, Std = new[] { 64f } });
        string h = b.AvgPool2d(b.Input, 2);
        h = b.ReLU(b.BatchNorm2d(b.Conv2d(h, 16, 3, stride: 2, padding: 1, bias: false)));
        h = b.ReLU(b.BatchNorm2d(b.Conv2d(h, 32, 3, stride: 2, padding: 1, bias: false)));
        return b.Build(b.Linear(b.Flatten(b.GlobalAvgPool(h)), SyntheticImageFile.Classes));
    }
}
