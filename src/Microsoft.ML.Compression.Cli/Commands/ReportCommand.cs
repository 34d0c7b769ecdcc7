using System.Globalization;
using System.IO;
using System.Text;
using System.Text.Json;
using Microsoft.ML.Compression.Analysis;
using Microsoft.ML.Compression.Cli.Data;
using Microsoft.ML.Compression.Cli.Output;
using Microsoft.ML.Compression.Onnx;
using Microsoft.ML.Compression.Onnx.Import;

namespace Microsoft.ML.Compression.Cli.Commands;

/// <summary>
/// <c>report &lt;model.onnx&gt; [--data &lt;folder|idx&gt;] [--json]</c>: parameters, MACs, bytes, ops and metadata of
/// a file; with labelled data also its top-1 accuracy and the ONNX Runtime latency of one batch.
/// </summary>
public static class ReportCommand
{
    /// <summary>Runs the verb.</summary>
    public static int Run(CommandLine line)
    {
        string path = Common.ModelPath(line);
        bool json = line.Has("json");
        string? data = line.String("data");
        int seed = Common.Seed(line);
        int? max = Common.MaxImages(line);
        int threads = line.Int("threads", 1, min: 0);
        var (mean, std) = Common.MeanStd(line);
        string? labels = line.String("labels");
        bool plain = line.Has("plain");
        line.RejectUnused(1);

        OnnxImportReport inspect = ModelFile.Inspect(path);
        long bytes = new FileInfo(path).Length;
        var info = OnnxModelInfo.Read(File.ReadAllBytes(path));
        ModelReport? network = inspect.Network is { } n ? new ModelReport(n, "onnx", bytes) : null;
        object? measured = null;
        if (data is not null)
        {
            var input = ModelFile.ImageInputOf(inspect.Network ?? throw CliException.InputFile(
                $"Model file '{path}' cannot be imported, so the tool cannot tell its image input: {string.Join(" | ", inspect.Problems)}"), path);
            var set = ImageLoader.Load(new MLContext(seed), data, labels, ImageSpec.Create(input, mean, std), max, seed, "--data");
            set.RequireLabels(inspect.Network.ClassCount, "--data");
            var progress = ProgressDisplay.Create(plain);
            measured = progress.Run($"Scoring {set.Count:N0} images", null, _ =>
            {
                var (batch, ms) = OnnxScoring.Latency(path, set, threads);
                return new { source = Path.GetFullPath(data), images = set.Count, accuracy = OnnxScoring.Accuracy(path, set, threads), batch, threads, batchMilliseconds = ms };
            });
        }
        var report = new
        {
            file = Path.GetFullPath(path),
            bytes,
            irVersion = info.IrVersion,
            opset = info.Opset,
            producer = $"{info.ProducerName} {info.ProducerVersion}".Trim(),
            operators = info.OperatorCounts,
            metadata = info.Metadata,
            canImport = inspect.CanImport,
            parameters = network?.Parameters,
            macs = network?.Macs,
            measured,
        };
        Console.WriteLine(json ? JsonSerializer.Serialize(report, ReportFile.Json) : Text(report.file, bytes, info, network, measured));
        return ExitCodes.Ok;
    }

    private static string Text(string file, long bytes, OnnxModelInfo info, ModelReport? network, object? measured)
    {
        var s = new StringBuilder();
        s.AppendLine(string.Create(CultureInfo.InvariantCulture, $"{file}: {bytes:N0} bytes, IR {info.IrVersion}, opset {info.Opset}, {info.ProducerName} {info.ProducerVersion}").TrimEnd());
        s.AppendLine(CultureInfo.InvariantCulture, $"  ops         {info.OperatorCounts.Values.Sum()} nodes: {string.Join(", ", info.OperatorCounts.Select(o => $"{o.Key} x{o.Value}"))}");
        if (network is not null)
            s.AppendLine(CultureInfo.InvariantCulture, $"  network     {network.Parameters:N0} parameters, {network.Macs:N0} MACs per image");
        else
            s.AppendLine("  network     not importable (run 'mlnet-compress inspect' for why)");
        foreach (var (key, value) in info.Metadata) s.AppendLine(CultureInfo.InvariantCulture, $"  metadata    {key} = {value}");
        if (measured is not null)
        {
            var m = JsonSerializer.SerializeToElement(measured, ReportFile.Json);
            s.AppendLine(CultureInfo.InvariantCulture,
                $"  accuracy    {m.GetProperty("accuracy").GetDouble():P2} on {m.GetProperty("images").GetInt32():N0} images");
            s.AppendLine(CultureInfo.InvariantCulture,
                $"  latency     {m.GetProperty("batchMilliseconds").GetDouble():F3} ms per batch of {m.GetProperty("batch").GetInt32()} (ONNX Runtime, {m.GetProperty("threads").GetInt32()} thread(s), median)");
        }
        return s.ToString().TrimEnd();
    }
}
