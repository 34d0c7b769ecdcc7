using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading;
using Microsoft.ML.Compression.Analysis;
using Microsoft.ML.Compression.Datasets;
using Microsoft.ML.Compression.Estimators;
using Microsoft.ML.Compression.Quantization;
using Microsoft.ML.Compression.Tests.Fixtures;
using Microsoft.ML.Compression.Tests.Onnx.Import;
using Microsoft.ML.Compression.Onnx;
using Microsoft.ML.Compression.Onnx.Proto;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using SampleData;

namespace Microsoft.ML.Compression.Tests.Cli;

/// <summary>
/// The mlnet-compress tool run as a process: quantizing an ONNX fixture with a folder of PNG calibration images gives
/// the model the library gives for the same images, and each kind of failure has its exit code and a one-line message.
/// </summary>
[TestClass]
public sealed class CliTests
{
    private const int CalibrationImages = 300;
    private const int EvaluationImages = 2000;

    private static string _work = null!;
    private static string _calibration = null!;

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static void WriteCalibrationPngs(TestContext context)
    {
        _work = Path.Combine(Path.GetTempPath(), $"mlnet-compress-tests-{Guid.NewGuid():N}");
        _calibration = Path.Combine(_work, "calibration");
        // The first MNIST test images as PNGs in one folder per digit; the library call below reads the same images from IDX.
        LabeledImages mnist = MnistIdx.Read(TestData.MnistDirectory, MnistSplit.Test, CalibrationImages);
        for (int i = 0; i < mnist.Count; i++)
        {
            byte[] pixels = mnist.GetImage(i).ToArray().Select(v => (byte)MathF.Round(v * 255)).ToArray();
            PngFiles.WriteGray(Path.Combine(_calibration, mnist.Labels[i].ToString(), $"{i:D5}.png"), mnist.Cols, mnist.Rows, pixels);
        }
    }

    [ClassCleanup]
    public static void DeleteWorkFolder()
    {
        if (_work is not null && Directory.Exists(_work)) Directory.Delete(_work, recursive: true);
    }

    [TestMethod]
    public void Quantize_OfAnOnnxFixtureWithPngCalibration_WritesTheLibrarysPtqModel()
    {
        string fixture = OnnxFixtures.Get("lenet_bn_opset9").Path; // 28x28 gray, pixel / 255 (mean 0, std 1)
        string output = Path.Combine(_work, "lenet-int8.onnx");
        var clock = Stopwatch.StartNew();
        // --latency-check off (Check = Off below): the byte comparison must not depend on two runs' timings.
        var run = CliProcess.Run("quantize", fixture, "--calibration", _calibration, "-o", output, "--seed", "0", "--latency-check", "off");
        TestContext.WriteLine($"mlnet-compress quantize took {clock.Elapsed.TotalSeconds:F1} s");
        Assert.AreEqual(0, run.ExitCode, run.ToString());
        StringAssert.Contains(run.Stdout, output);

        // The same images through the library: PTQ from the ONNX file, calibrated on all of them.
        var ml = new MLContext(seed: 0);
        IDataView calibration = MnistIdx.Load(ml, TestData.MnistDirectory, MnistSplit.Test, CalibrationImages);
        using var library = ml.Transforms.Compression.PostTrainingQuantization(StartingPoint.FromOnnx(fixture),
            new PostTrainingQuantizer.Options { CalibrationSamples = CalibrationImages, Seed = 0, Latency = new Int8LatencyOptions { Check = Int8LatencyCheck.Off } }).Fit(calibration);

        byte[] tool = File.ReadAllBytes(output);
        LabeledImages test = MnistIdx.Read(TestData.MnistDirectory, MnistSplit.Test, CalibrationImages + EvaluationImages);
        float[] features = test.Features.AsSpan(CalibrationImages * 784).ToArray();
        int[] labels = test.Labels.Skip(CalibrationImages).Select(l => (int)l).ToArray();
        double Accuracy(byte[] onnx)
        {
            using var session = OnnxRunner.Open(onnx, threads: 1);
            int[] predicted = OnnxRunner.Predict(session, features, EvaluationImages, OnnxRunner.FixedBatch(session) ?? 64);
            return predicted.Where((p, i) => p == labels[i]).Count() / (double)EvaluationImages;
        }
        double toolAccuracy = Accuracy(tool), libraryAccuracy = Accuracy(library.OnnxModel);
        TestContext.WriteLine($"tool {toolAccuracy:P2}, library {libraryAccuracy:P2}, bytes {tool.Length} / {library.OnnxModel.Length}");
        Assert.AreEqual(libraryAccuracy, toolAccuracy, "accuracy of the tool's model vs the library's");
        Assert.IsTrue(toolAccuracy > 0.95, $"the int8 LeNet scores {toolAccuracy:P2}");
        CollectionAssert.AreEqual(library.OnnxModel, tool, "the tool's ONNX bytes differ from the library's for the same images and seed");

        using JsonDocument report = JsonDocument.Parse(File.ReadAllText(Path.ChangeExtension(output, ".json")));
        Assert.AreEqual(CalibrationImages, report.RootElement.GetProperty("data").GetProperty("images").GetInt32());
        Assert.AreEqual(tool.Length, report.RootElement.GetProperty("outputBytes").GetInt64());
    }

    [TestMethod]
    public void Quantize_KeepsTheFewChannelConvolutionsFloat_UnlessAllInt8IsAsked()
    {
        string fixture = OnnxFixtures.Get("lenet_bn_opset9").Path; // convolutions read 1 and 6 channels
        string Quantized(string name, params string[] extra)
        {
            string output = Path.Combine(_work, name);
            var run = CliProcess.Run(new[] { "quantize", fixture, "--calibration", _calibration, "-o", output, "--max-images", "64" }.Concat(extra).ToArray());
            Assert.AreEqual(0, run.ExitCode, run.ToString());
            return ModelProto.Parser.ParseFrom(File.ReadAllBytes(output)).MetadataProps.Single(p => p.Key == OnnxMetadataKeys.QuantizedLayers).Value;
        }
        string[] Convs(string layers) => layers.Split(',').Where(l => l.Contains("conv", StringComparison.OrdinalIgnoreCase)).ToArray();

        // --latency-check off: the rule alone (the measured default may keep this small model float altogether).
        Assert.AreEqual(0, Convs(Quantized("default-int8.onnx", "--latency-check", "off")).Length, "by rule the convolutions stay float");
        Assert.AreEqual(2, Convs(Quantized("all-int8.onnx", "--all-int8")).Length, "--all-int8 quantizes them too");
        var bad = CliProcess.Run("quantize", fixture, "--calibration", _calibration, "-o", Path.Combine(_work, "bad.onnx"), "--latency-check", "sometimes");
        Assert.AreEqual(2, bad.ExitCode, bad.ToString());
        StringAssert.Contains(bad.Stderr, "latency-check");
    }

    [TestMethod]
    public void Train_OnAClassFolder_ShowsEachEpoch_AndReportScoresTheModel()
    {
        string output = Path.Combine(_work, "lenet-trained.onnx");
        var train = CliProcess.Run("train", "--network", "lenet5", "--data", _calibration, "-o", output, "--epochs", "5", "--batch-size", "16", "--lr", "0.005", "--eval", _calibration);
        Assert.AreEqual(0, train.ExitCode, train.ToString());
        // Redirected output: plain progress lines on stderr, one per epoch (from the library's OnEpoch callback).
        StringAssert.Contains(train.Stderr, "epoch 1/5");
        StringAssert.Contains(train.Stderr, "epoch 5/5");
        double evaluated;
        using (JsonDocument json = JsonDocument.Parse(File.ReadAllText(Path.ChangeExtension(output, ".json"))))
        {
            Assert.AreEqual(5, json.RootElement.GetProperty("epochs").GetArrayLength());
            Assert.AreEqual(10, json.RootElement.GetProperty("data").GetProperty("classes").GetArrayLength());
            evaluated = json.RootElement.GetProperty("evaluation").GetProperty("outputAccuracy").GetDouble();
        }

        var report = CliProcess.Run("report", output, "--data", _calibration, "--json");
        Assert.AreEqual(0, report.ExitCode, report.ToString());
        using JsonDocument measured = JsonDocument.Parse(report.Stdout);
        double accuracy = measured.RootElement.GetProperty("measured").GetProperty("accuracy").GetDouble();
        Assert.IsTrue(accuracy > 0.6, $"LeNet-5 trained 5 epochs on {CalibrationImages} images scores {accuracy:P1} on them");
        Assert.AreEqual(evaluated, accuracy, "train --eval and report --data score the same images alike");
    }

    [TestMethod]
    public void CtrlC_DuringTraining_StopsWith130_AndWritesNothing()
    {
        if (!OperatingSystem.IsLinux()) Assert.Inconclusive("Sends SIGINT with kill(1).");
        string output = Path.Combine(_work, "cancelled.onnx");
        string images = Path.Combine(TestData.MnistDirectory, "train-images-idx3-ubyte"), labels = Path.Combine(TestData.MnistDirectory, "train-labels-idx1-ubyte");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string a in new[] { CliProcess.ToolDll, "train", "--network", "lenet5", "--data", images, "--labels", labels, "--epochs", "50", "-o", output })
            start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = new System.Text.StringBuilder();
        // Interrupt once training has started (the line that announces it), as a user pressing Ctrl+C would.
        string? line;
        while ((line = process.StandardError.ReadLine()) is not null)
        {
            stderr.AppendLine(line);
            if (line.StartsWith("train (", StringComparison.Ordinal)) break;
        }
        Assert.IsNotNull(line, $"training never started: {stderr}");
        Thread.Sleep(2000);
        Process.Start("kill", $"-INT {process.Id}")!.WaitForExit();
        string rest = process.StandardError.ReadToEnd();
        Assert.IsTrue(process.WaitForExit(TimeSpan.FromMinutes(2)), "the tool did not stop after Ctrl+C");
        Assert.AreEqual(130, process.ExitCode, $"{stderr}{rest}{stdout.Result}");
        StringAssert.Contains(rest, "cancelled");
        Assert.IsFalse(File.Exists(output), "a cancelled run wrote a model");
    }

    [TestMethod]
    public void MissingModelFile_ExitsWith3_NamingTheFile()
    {
        string missing = Path.Combine(_work, "no-such-model.onnx");
        var run = CliProcess.Run("inspect", missing);
        Assert.AreEqual(3, run.ExitCode, run.ToString());
        var errors = CliProcess.Errors(run);
        Assert.HasCount(1, errors, run.ToString());
        StringAssert.Contains(errors[0], missing);
        Assert.DoesNotContain("   at ", run.Stderr, "no stack trace without --verbose");

        var verbose = CliProcess.Run("inspect", missing, "--verbose");
        Assert.AreEqual(3, verbose.ExitCode, verbose.ToString());
        StringAssert.Contains(verbose.Stderr, "   at ", "--verbose adds the stack trace");
    }

    [TestMethod]
    public void NotAnOnnxFile_ExitsWith3()
    {
        string text = Path.Combine(_work, "notes.onnx");
        File.WriteAllText(text, "these are notes, not a model\n");
        var run = CliProcess.Run("quantize", text, "--calibration", _calibration, "-o", Path.Combine(_work, "x.onnx"));
        Assert.AreEqual(3, run.ExitCode, run.ToString());
        StringAssert.Contains(CliProcess.Errors(run).Single(), "is not an ONNX model");
    }

    [TestMethod]
    public void UnsupportedOp_InspectReportsIt_AndQuantizeExitsWith3()
    {
        string path = Path.Combine(_work, "erf.onnx");
        File.WriteAllBytes(path, TinyModels.Classifier((b, image) => b.AddNode("Erf", new[] { image }, "my_erf")));
        var inspect = CliProcess.Run("inspect", path);
        Assert.AreEqual(3, inspect.ExitCode, inspect.ToString());
        StringAssert.Contains(inspect.Stdout, "Erf");
        StringAssert.Contains(inspect.Stdout, "can import: no");

        var quantize = CliProcess.Run("quantize", path, "--calibration", _calibration, "-o", Path.Combine(_work, "erf-int8.onnx"));
        Assert.AreEqual(3, quantize.ExitCode, quantize.ToString());
        StringAssert.Contains(CliProcess.Errors(quantize).Single(), "Erf");
    }

    [TestMethod]
    public void EmptyCalibrationFolder_ExitsWith4()
    {
        string empty = Directory.CreateDirectory(Path.Combine(_work, "empty")).FullName;
        var run = CliProcess.Run("quantize", OnnxFixtures.Get("lenet_bn_opset9").Path, "--calibration", empty, "-o", Path.Combine(_work, "y.onnx"));
        Assert.AreEqual(4, run.ExitCode, run.ToString());
        StringAssert.Contains(CliProcess.Errors(run).Single(), empty);
    }

    [TestMethod]
    public void Prune_RoundsWidthsToTheLibrarysMultiple_ExactRateKeepsTheRate_TargetsPickIt()
    {
        // The fixture is LeNet-5 with 6 and 16 filters. At 0.5: rounded (default multiple 8, 2 for 6 channels) 4 and 8;
        // exact 3 and 8.
        string fixture = OnnxFixtures.Get("lenet_bn_opset9").Path;
        int[] Widths(params string[] extra)
        {
            string output = Path.Combine(_work, $"pruned{extra.Length}.onnx");
            var run = CliProcess.Run(new[] { "prune", fixture, "--data", _calibration, "-o", output, "--rate", "0.5", "--epochs", "1", "--threads", "1" }.Concat(extra).ToArray());
            Assert.AreEqual(0, run.ExitCode, run.ToString());
            return Microsoft.ML.Compression.Onnx.Import.OnnxImporter.Import(output).Layers.OfType<Microsoft.ML.Compression.Graph.Conv2dLayer>().Select(c => c.OutChannels).ToArray();
        }
        CollectionAssert.AreEqual(new[] { 4, 8 }, Widths());
        CollectionAssert.AreEqual(new[] { 3, 8 }, Widths("--exact-rate"));
        // Half the MACs: conv2 must drop to 8, and the smallest rate that does so leaves conv1 at 4.
        CollectionAssert.AreEqual(new[] { 4, 8 }, Widths("--target-macs", "0.5"));
        // 70% of the parameters: most are in fc1, which reads conv2's channels, so the same widths (and no fewer).
        CollectionAssert.AreEqual(new[] { 4, 8 }, Widths("--target-params", "0.7"));
    }

    [TestMethod]
    public void ClassFoldersThatDoNotMatchTheModel_ExitWith4()
    {
        // Two class folders for a 10-class model: the folders cannot be the model's classes.
        string twoClasses = Path.Combine(_work, "two-classes");
        foreach (string digit in new[] { "0", "1" })
        {
            string folder = Directory.CreateDirectory(Path.Combine(twoClasses, digit)).FullName;
            foreach (string png in Directory.GetFiles(Path.Combine(_calibration, digit)).Take(3)) File.Copy(png, Path.Combine(folder, Path.GetFileName(png)));
        }
        var run = CliProcess.Run("prune", OnnxFixtures.Get("lenet_bn_opset9").Path, "--data", twoClasses, "-o", Path.Combine(_work, "p.onnx"));
        Assert.AreEqual(4, run.ExitCode, run.ToString());
        StringAssert.Contains(CliProcess.Errors(run).Single(), "2 class folders");
    }

    [TestMethod]
    public void BadOptionValues_ExitWith2_NamingTheOptionAndTheExpectedValue()
    {
        string fixture = OnnxFixtures.Get("lenet_bn_opset9").Path;
        var badCount = CliProcess.Run("quantize", fixture, "--calibration", _calibration, "-o", Path.Combine(_work, "z.onnx"), "--max-images", "-5");
        Assert.AreEqual(2, badCount.ExitCode, badCount.ToString());
        StringAssert.Contains(CliProcess.Errors(badCount).Single(), "--max-images expects an integer >= 1, got '-5'");

        var badStd = CliProcess.Run("quantize", fixture, "--calibration", _calibration, "-o", Path.Combine(_work, "z.onnx"), "--std", "0.3,0");
        Assert.AreEqual(2, badStd.ExitCode, badStd.ToString());
        StringAssert.Contains(CliProcess.Errors(badStd).Single(), "--std");

        var unknown = CliProcess.Run("inspect", fixture, "--colour", "red");
        Assert.AreEqual(2, unknown.ExitCode, unknown.ToString());
        StringAssert.Contains(CliProcess.Errors(unknown).Single(), "--colour");
    }

    [TestMethod]
    public void Help_ListsTheVerbsAndTheExitCodes()
    {
        var run = CliProcess.Run("--help");
        Assert.AreEqual(0, run.ExitCode, run.ToString());
        foreach (string text in new[] { "inspect", "quantize", "qat", "prune", "train", "report", "Exit codes", "(pixel / 255 - mean[c]) / std[c]" })
            StringAssert.Contains(run.Stdout, text);
    }

    [TestMethod]
    public void InspectJson_ReportsTheFixtureAsImportable()
    {
        var run = CliProcess.Run("inspect", OnnxFixtures.Get("lenet_bn_opset9").Path, "--json");
        Assert.AreEqual(0, run.ExitCode, run.ToString());
        using JsonDocument json = JsonDocument.Parse(run.Stdout);
        Assert.IsTrue(json.RootElement.GetProperty("canImport").GetBoolean());
        Assert.AreEqual(10, json.RootElement.GetProperty("network").GetProperty("classes").GetInt32());
    }
}
