using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.ML;
using Microsoft.ML.Compression;
using Microsoft.ML.Compression.Datasets;
using Microsoft.ML.Compression.Estimators;
using Microsoft.ML.Compression.Training;
using Microsoft.ML.Compression.Zoo;
using Microsoft.ML.Data;
using SampleData;

namespace Benchmarks;

/// <summary>
/// Soak and concurrency: <c>--cycles</c> (50) Fit + Transform + Save + Load + score cycles in one process, recording
/// memory, temp files and open handles, then 8 threads scoring one model and two Fits at once against sequential
/// runs. Each cycle is tiny (LeNet-5, 256 MNIST rows, 1 epoch, 1 libtorch thread): the point is what piles up, not speed.
/// </summary>
internal static class SoakExperiment
{
    private const int Seed = 5, TrainRows = 256, ScoreRows = 256, ScoringThreads = 8;

    private sealed class Digit
    {
        [VectorType(784)] public float[] Features { get; set; } = Array.Empty<float>();
        [KeyType(10)] public uint Label { get; set; }
    }

    private sealed class Scored
    {
        public float[] Score { get; set; } = Array.Empty<float>();
    }

    private sealed record Sample(int Cycle, double Seconds, long WorkingSet, long ManagedHeap, long GcCommitted, long Native,
        long NativeHeapInUse, long RssAnon, long RssFile, int TempModelFiles, int RowCacheFiles, int OpenHandles);

    public static void Run(ExperimentContext context)
    {
        int cycles = context.Option("cycles", 50);
        var ml = new MLContext(Seed);
        string dir = SampleDatasets.EnsureMnist(context.DataRoot, Console.WriteLine);
        IDataView train = ml.Data.Cache(MnistIdx.Load(ml, dir, MnistSplit.Train, TrainRows));
        IDataView test = ml.Data.Cache(MnistIdx.Load(ml, dir, MnistSplit.Test, ScoreRows));
        string zip = Path.Combine(context.ArtifactDirectory, "cycle-model.zip");
        var total = Stopwatch.StartNew();

        Sample before = Measure(0, 0);
        Dictionary<string, int> handlesBefore = HandleKinds();
        Console.WriteLine($"before: {Describe(before)}");
        var samples = new List<Sample>();
        int mismatches = 0;
        for (int cycle = 1; cycle <= cycles; cycle++)
        {
            var watch = Stopwatch.StartNew();
            // Odd cycles cache the rows on disk, even ones in memory: both row stores go through the soak.
            using (CompressedModelTransformer model = Fit(ml, train, cycle % 2 == 1 ? DataCaching.Disk : DataCaching.Memory))
            {
                float[][] scores = ScoreColumn(ml, model, test);
                ml.Model.Save(model, test.Schema, zip);
                ITransformer loaded = ml.Model.Load(zip, out _);
                if (!Same(scores, ScoreColumn(ml, loaded, test)))
                    mismatches++;
                (loaded as IDisposable)?.Dispose();
            }
            samples.Add(Measure(cycle, watch.Elapsed.TotalSeconds));
            if (cycle == 1 || cycle % 5 == 0)
                Console.WriteLine($"cycle {cycle}: {Describe(samples[^1])}");
        }
        File.Delete(zip);
        Sample after = samples[^1];
        Sample at5 = samples[Math.Min(5, samples.Count) - 1];
        double Growth(Func<Sample, long> f) => Math.Round(100.0 * (f(after) - f(at5)) / f(at5), 2);
        double wsGrowth = Growth(s => s.WorkingSet), managedGrowth = Growth(s => s.ManagedHeap), nativeGrowth = Growth(s => s.Native);
        double heapGrowth = Growth(s => s.NativeHeapInUse);
        Console.WriteLine($"rss cycle {at5.Cycle} -> {after.Cycle}: anon {(after.RssAnon - at5.RssAnon) / 1048576.0:F1} MiB, file {(after.RssFile - at5.RssFile) / 1048576.0:F1} MiB");
        Console.WriteLine($"growth cycle {at5.Cycle} -> {after.Cycle}: working set {wsGrowth}%, managed {managedGrowth}%, native {nativeGrowth}%, "
            + $"malloc in use {heapGrowth}% (limit 5% on the working set; tiered JIT {(TieredJit ? "on" : "off")})");
        Console.WriteLine($"loaded-model score mismatches: {mismatches}; temp model files {before.TempModelFiles} -> {after.TempModelFiles}; "
            + $"row cache files {before.RowCacheFiles} -> {after.RowCacheFiles}; open handles {before.OpenHandles} -> {after.OpenHandles}");

        // What the handles opened during the soak point at (sockets, pipes, anon inodes, files), for telling a leak
        // from thread pools that grew once.
        Dictionary<string, int> handlesAfter = HandleKinds();
        var newHandles = handlesAfter.Where(kv => kv.Value > handlesBefore.GetValueOrDefault(kv.Key))
            .ToDictionary(kv => kv.Key, kv => kv.Value - handlesBefore.GetValueOrDefault(kv.Key));
        Console.WriteLine("handles opened during the soak: " + string.Join(", ", newHandles.Select(kv => $"{kv.Key} x{kv.Value}")));

        var scoring = ConcurrentScoring(ml, train, test);
        var fits = ConcurrentFits(train);

        var json = new Dictionary<string, object>
        {
            ["experiment"] = context.Name,
            ["cycle"] = $"LeNet-5 Fit on {TrainRows} MNIST rows (1 epoch, Threads = 1; odd cycles DataCache = Disk) + Transform + Model.Save + Model.Load + score {ScoreRows} rows",
            ["cycles"] = cycles,
            ["memory_note"] = "working set = Environment.WorkingSet; managed = GC.GetTotalMemory after a full collection; native = working set - GC committed bytes",
            ["growth_from_cycle"] = at5.Cycle,
            ["working_set_growth_percent"] = wsGrowth,
            ["managed_growth_percent"] = managedGrowth,
            ["native_growth_percent"] = nativeGrowth,
            ["malloc_in_use_growth_percent"] = heapGrowth,
            ["rss_anonymous_growth_mib"] = Math.Round((after.RssAnon - at5.RssAnon) / 1048576.0, 1),
            ["rss_file_growth_mib"] = Math.Round((after.RssFile - at5.RssFile) / 1048576.0, 1),
            ["growth_within_5_percent"] = wsGrowth <= 5,
            // Tier-0 code is recompiled at tier 1 as methods get hot: that code and its profiles grow the working set
            // for the first few dozen cycles; DOTNET_TieredCompilation=0 takes that warm-up out of the figures.
            ["tiered_jit"] = TieredJit,
            ["loaded_model_score_mismatches"] = mismatches,
            ["handles_opened_during_soak_by_kind"] = newHandles,
            ["handles_at_cycle_5"] = at5.OpenHandles,
            ["before"] = before,
            ["samples"] = samples,
            ["concurrent_scoring"] = scoring,
            ["concurrent_fits"] = fits,
            ["wall_seconds"] = Math.Round(total.Elapsed.TotalSeconds, 1),
        };
        string path = Path.Combine(context.ArtifactDirectory, "results.json");
        File.WriteAllText(path, JsonSerializer.Serialize(json, new JsonSerializerOptions { WriteIndented = true }));
        Console.WriteLine($"Wrote {path} ({total.Elapsed.TotalMinutes:F1} min)");
    }

    private static CompressedModelTransformer Fit(MLContext ml, IDataView train, DataCaching cache, int? seed = null) =>
        ml.Transforms.Compression.Train(NetworkZoo.LeNet5(),
            new NetworkTrainer.Options { Epochs = 1, Seed = seed ?? Seed, Threads = 1, DataCache = cache }).Fit(train);

    private static float[][] ScoreColumn(MLContext ml, ITransformer model, IDataView data) =>
        ml.Data.CreateEnumerable<Scored>(model.Transform(data), reuseRowObject: false).Select(s => s.Score).ToArray();

    private static bool Same(float[][] a, float[][] b) => a.Length == b.Length && a.Zip(b).All(p => p.First.AsSpan().SequenceEqual(p.Second));

    /// <summary>8 threads score one fitted model at once, each with its own PredictionEngine and with Transform on the shared model.</summary>
    private static Dictionary<string, object> ConcurrentScoring(MLContext ml, IDataView train, IDataView test)
    {
        using CompressedModelTransformer model = Fit(ml, train, DataCaching.Memory);
        Digit[] rows = ml.Data.CreateEnumerable<Digit>(test, reuseRowObject: false).ToArray();
        float[][] sequential = ScoreColumn(ml, model, test);
        var engine = ml.Model.CreatePredictionEngine<Digit, Scored>(model);
        bool engineSame = Same(sequential, rows.Select(r => engine.Predict(r).Score).ToArray());
        using var start = new Barrier(ScoringThreads);
        var engineOk = new bool[ScoringThreads];
        var transformOk = new bool[ScoringThreads];
        var watch = Stopwatch.StartNew();
        Parallel.For(0, ScoringThreads, new ParallelOptions { MaxDegreeOfParallelism = ScoringThreads }, t =>
        {
            var own = ml.Model.CreatePredictionEngine<Digit, Scored>(model);
            start.SignalAndWait();
            engineOk[t] = Same(sequential, rows.Select(r => own.Predict(r).Score).ToArray());
            transformOk[t] = Same(sequential, ScoreColumn(ml, model, test));
        });
        var result = new Dictionary<string, object>
        {
            ["threads"] = ScoringThreads,
            ["rows"] = rows.Length,
            ["sequential_prediction_engine_equals_transform"] = engineSame,
            ["prediction_engine_per_thread_identical"] = engineOk.Count(ok => ok),
            ["shared_transform_identical"] = transformOk.Count(ok => ok),
            ["seconds"] = Math.Round(watch.Elapsed.TotalSeconds, 2),
        };
        Console.WriteLine($"8-thread scoring: sequential engine = transform {engineSame}; identical to sequential: engines {engineOk.Count(ok => ok)}/{ScoringThreads}, transforms {transformOk.Count(ok => ok)}/{ScoringThreads}");
        return result;
    }

    /// <summary>Two Fits at once (two threads, two MLContexts with the same seed) against one sequential Fit's ONNX bytes.</summary>
    private static Dictionary<string, object> ConcurrentFits(IDataView train)
    {
        byte[] sequential;
        using (CompressedModelTransformer once = Fit(new MLContext(Seed), train, DataCaching.Memory))
            sequential = once.OnnxModel;
        using var start = new Barrier(2);
        Task<byte[]>[] both = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            var ml = new MLContext(Seed);
            start.SignalAndWait();
            using CompressedModelTransformer model = Fit(ml, train, DataCaching.Memory);
            return model.OnnxModel;
        })).ToArray();
        Task.WaitAll(both);
        int same = both.Count(t => t.Result.AsSpan().SequenceEqual(sequential));
        Console.WriteLine($"two concurrent Fits: {same}/2 give the sequential Fit's {sequential.Length:N0} ONNX bytes");
        return new Dictionary<string, object> { ["fits"] = 2, ["identical_to_sequential"] = same, ["onnx_bytes"] = sequential.Length };
    }

    private static Sample Measure(int cycle, double seconds)
    {
        long managed = GC.GetTotalMemory(forceFullCollection: true);
        GC.WaitForPendingFinalizers();
        managed = GC.GetTotalMemory(forceFullCollection: true);
        long committed = GC.GetGCMemoryInfo().TotalCommittedBytes;
        long workingSet = WorkingSet();
        long inUse = NativeHeap.InUse();
        (long anon, long file) = RssKinds();
        return new Sample(cycle, Math.Round(seconds, 2), workingSet, managed, committed, workingSet - committed, inUse, anon, file,
            TempModelFiles(), Directory.GetFiles(Path.GetTempPath(), "mlcompression-rows-*").Length, OpenHandles());
    }

    // The library's model files live in <temp>/mlcompression/<pid>-<start ticks>/ (Scoring/TempModelFile); count ours.
    private static int TempModelFiles()
    {
        string root = Path.Combine(Path.GetTempPath(), "mlcompression");
        if (!Directory.Exists(root)) return 0;
        string prefix = Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "-";
        return Directory.GetDirectories(root, prefix + "*").Sum(d => Directory.GetFiles(d, "*", SearchOption.AllDirectories).Length);
    }

    // The kind of each open descriptor: "socket", "pipe", "anon_inode:[eventfd]", a file's folder, or a temp file's path.
    private static Dictionary<string, int> HandleKinds()
    {
        var kinds = new Dictionary<string, int>(StringComparer.Ordinal);
        if (!Directory.Exists("/proc/self/fd")) return kinds;
        foreach (string fd in Directory.GetFileSystemEntries("/proc/self/fd"))
        {
            string? target;
            try { target = new FileInfo(fd).LinkTarget; }
            catch (IOException) { continue; }
            if (target is null) continue;
            string kind = target.StartsWith(Path.GetTempPath(), StringComparison.Ordinal) ? target // a temp file is named in full
                : target.StartsWith('/') ? Path.GetDirectoryName(target) ?? target : target.Split(':')[0] + (target.StartsWith("anon_inode", StringComparison.Ordinal) ? ":" + target.Split(':')[1] : "");
            kinds[kind] = kinds.GetValueOrDefault(kind) + 1;
        }
        return kinds;
    }

    private static bool TieredJit => Environment.GetEnvironmentVariable("DOTNET_TieredCompilation") is not ("0" or "false");

    // Anonymous memory (heaps, tensors, JIT code) versus file pages (libraries paged in as new code paths first run).
    private static (long Anon, long File) RssKinds()
    {
        if (!File.Exists("/proc/self/status")) return (-1, -1);
        long Kb(string key) => File.ReadLines("/proc/self/status").Where(l => l.StartsWith(key + ":", StringComparison.Ordinal))
            .Select(l => long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024).FirstOrDefault(-1);
        return (Kb("RssAnon"), Kb("RssFile"));
    }

    private static long WorkingSet()
    {
        using var self = Process.GetCurrentProcess();
        return self.WorkingSet64;
    }

    private static int OpenHandles() => Directory.Exists("/proc/self/fd") ? Directory.GetFileSystemEntries("/proc/self/fd").Length : -1;

    private static string Describe(Sample s) => string.Create(CultureInfo.InvariantCulture,
        $"{s.Seconds:F1}s, working set {s.WorkingSet / 1048576.0:F1} MiB, managed {s.ManagedHeap / 1048576.0:F1} MiB, native {s.Native / 1048576.0:F1} MiB, malloc in use {s.NativeHeapInUse / 1048576.0:F1} MiB, anon {s.RssAnon / 1048576.0:F1} MiB, file {s.RssFile / 1048576.0:F1} MiB, temp files {s.TempModelFiles}+{s.RowCacheFiles}, handles {s.OpenHandles}");
}
