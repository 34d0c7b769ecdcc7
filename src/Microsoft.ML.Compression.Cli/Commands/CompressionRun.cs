using System.Diagnostics;
using System.IO;
using System.Threading;
using Microsoft.ML.Compression.Cli.Data;
using Microsoft.ML.Compression.Cli.Output;
using Microsoft.ML.Compression.Estimators;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Training;

namespace Microsoft.ML.Compression.Cli.Commands;

/// <summary>
/// What quantize, qat, prune and train share: the options read from the command line, then one run that loads the
/// images, fits the library's estimator under a progress display, writes the ONNX model and its JSON report, and
/// prints one summary line on stdout.
/// </summary>
public sealed class CompressionRun
{
    private readonly float[]? _mean, _std;
    private readonly string? _reportPath, _eval, _evalLabels;
    private readonly CancellationTokenSource _cancel = new();

    /// <summary>Reads the shared options of <paramref name="line"/>; <paramref name="dataOption"/> names the images option.</summary>
    public CompressionRun(CommandLine line, string dataOption, int? defaultMaxImages)
    {
        Line = line;
        DataOption = dataOption;
        DataPath = line.Required(dataOption, "a folder of images (one subfolder per class) or an IDX images file");
        LabelsPath = line.String("labels");
        Output = Common.OutputPath(line);
        _reportPath = line.String("report");
        Seed = Common.Seed(line);
        MaxImages = Common.MaxImages(line, defaultMaxImages);
        (_mean, _std) = Common.MeanStd(line);
        _eval = line.String("eval");
        _evalLabels = line.String("eval-labels");
        Threads = line.Int("threads", 0, min: 0);
        Plain = line.Has("plain");
        Verbose = line.Has("verbose");
    }

    /// <summary>The command line.</summary>
    public CommandLine Line { get; }

    /// <summary>"calibration" or "data".</summary>
    public string DataOption { get; }

    /// <summary>The images folder or IDX file.</summary>
    public string DataPath { get; }

    /// <summary>The IDX labels file, if any.</summary>
    public string? LabelsPath { get; }

    /// <summary>The .onnx file to write.</summary>
    public string Output { get; }

    /// <summary>The seed of shuffling and of the library.</summary>
    public int Seed { get; }

    /// <summary>The image limit, if any.</summary>
    public int? MaxImages { get; }

    /// <summary>Training threads (0: libtorch's default).</summary>
    public int Threads { get; }

    /// <summary>Cancelled by Ctrl+C during Fit: give it to the estimator's options.</summary>
    public CancellationToken Token => _cancel.Token;

    /// <summary>Plain progress lines even on a terminal.</summary>
    public bool Plain { get; }

    /// <summary>Print the library's log.</summary>
    public bool Verbose { get; }

    /// <summary>
    /// Runs <paramref name="fit"/> on the loaded images (labelled when <paramref name="labelled"/>), starting from the
    /// network in <paramref name="modelPath"/>, or, without one, from <paramref name="build"/>(class count) reading
    /// <paramref name="builtInput"/>; then saves and reports. <paramref name="epochs"/> sizes the progress bar (null: a spinner).
    /// </summary>
    public int Execute(string verb, string? modelPath, ImageInput? builtInput, Func<int, NetworkGraph>? build, bool labelled, int? epochs,
        Func<MLContext, NetworkGraph, IDataView, Action<EpochMetrics>, CompressedModelTransformer> fit, object settings)
    {
        Line.RejectUnused(modelPath is null ? 0 : 1);
        var clock = Stopwatch.StartNew();
        var ml = new MLContext(Seed);
        if (Verbose) ml.Log += (_, e) => { if (e.Kind >= Runtime.ChannelMessageKind.Info) Console.Error.WriteLine($"[{e.Source}] {e.Message}"); };
        var progress = ProgressDisplay.Create(Plain);

        // An imported network fixes the image size the data is read at; a built one needs the data's classes first.
        NetworkGraph? imported = modelPath is null ? null : ModelFile.Import(modelPath);
        ImageInput input = imported is null ? builtInput! : ModelFile.ImageInputOf(imported, modelPath!);
        ImageSpec spec = ImageSpec.Create(input, _mean, _std);
        ImageSet data = progress.Run($"Loading --{DataOption} '{DataPath}'", null,
            _ => ImageLoader.Load(ml, DataPath, LabelsPath, spec, MaxImages, Seed, "--" + DataOption));
        progress.Note($"{data.Count:N0} images ({spec}){(data.Labels is null ? "" : $", {data.ClassNames.Count} classes")}");
        foreach (string w in data.Warnings.Take(5)) progress.Note("warning: " + w);

        NetworkGraph start = imported ?? build!(Math.Max(data.ClassNames.Count, 2));
        if (labelled) data.RequireLabels(start.ClassCount, "--" + DataOption);
        // Evaluation images are read before the long work, so a bad --eval fails before anything is written.
        ImageSet? test = _eval is null ? null : ImageLoader.Load(ml, _eval, _evalLabels, spec, null, Seed, "--eval");
        test?.RequireLabels(start.ClassCount, "--eval");
        IDataView view = data.ToDataView(ml);
        using CompressedModelTransformer model = Cancellable(() => progress.Run($"{verb} ({data.Count:N0} images)", epochs, onEpoch => fit(ml, start, view, onEpoch)));

        string? folder = Path.GetDirectoryName(Path.GetFullPath(Output));
        if (folder is not null) Directory.CreateDirectory(folder);
        model.SaveOnnx(Output);
        Evaluation? evaluation = test is null ? null : progress.Run($"Evaluating on {test.Count:N0} images", null, _ => new Evaluation(
            Path.GetFullPath(_eval!), test.Count, modelPath is null ? null : OnnxScoring.Accuracy(modelPath, test, Threads), OnnxScoring.Accuracy(Output, test, Threads)));
        string reportPath = WriteReport(verb, modelPath, settings, data, spec, model, evaluation, clock.Elapsed);
        long inputBytes = modelPath is null ? 0 : new FileInfo(modelPath).Length, outputBytes = new FileInfo(Output).Length;
        string change = modelPath is null ? "" : $" ({(double)outputBytes / inputBytes:P1} of {inputBytes:N0})";
        string accuracy = evaluation is null ? "" : $"; accuracy {evaluation.OutputAccuracy:P2}" + (evaluation.InputAccuracy is double a ? $" (was {a:P2})" : "");
        Console.WriteLine($"Wrote {Output}: {outputBytes:N0} bytes{change}{accuracy}; report {reportPath}");
        return ExitCodes.Ok;
    }

    /// <summary>Runs <paramref name="fit"/> with Ctrl+C cancelling <see cref="Token"/>, so Fit stops before its next batch instead of the process dying mid-write.</summary>
    private T Cancellable<T>(Func<T> fit)
    {
        ConsoleCancelEventHandler stop = (_, e) =>
        {
            e.Cancel = true;
            _cancel.Cancel();
        };
        Console.CancelKeyPress += stop;
        try
        {
            return fit();
        }
        finally
        {
            Console.CancelKeyPress -= stop;
        }
    }

    /// <summary>Writes the JSON report of a run and returns its path.</summary>
    private string WriteReport(string verb, string? modelPath, object settings, ImageSet data, ImageSpec spec, CompressedModelTransformer model,
        Evaluation? evaluation, TimeSpan elapsed)
    {
        long inputBytes = modelPath is null ? 0 : new FileInfo(modelPath).Length, outputBytes = new FileInfo(Output).Length;
        string reportPath = ReportFile.PathFor(Output, _reportPath);
        ReportFile.Write(reportPath, new
        {
            tool = "mlnet-compress",
            verb,
            input = modelPath is null ? null : Path.GetFullPath(modelPath),
            inputBytes = modelPath is null ? (long?)null : inputBytes,
            output = Path.GetFullPath(Output),
            outputBytes,
            sizeRatio = modelPath is null ? (double?)null : Math.Round((double)outputBytes / inputBytes, 4),
            settings,
            data = new { option = "--" + DataOption, source = Path.GetFullPath(DataPath), images = data.Count, classes = data.ClassNames, warnings = data.Warnings },
            normalization = new { formula = "(pixel / 255 - mean[c]) / std[c]", mean = spec.Mean, std = spec.Std, layout = spec.Input.Layout.ToString().ToUpperInvariant(), shape = spec.Input.Shape },
            seed = Seed,
            model = new { model.Report.Method, model.Report.Network, model.Report.Parameters, model.Report.Macs, model.Report.ParameterBytes, model.Report.OnnxBytes },
            epochs = model.Report.History,
            evaluation,
            seconds = Math.Round(elapsed.TotalSeconds, 2),
        });
        return reportPath;
    }

    /// <summary>Top-1 accuracies on the evaluation images (input model, output model).</summary>
    public sealed record Evaluation(string Source, int Images, double? InputAccuracy, double OutputAccuracy);
}
