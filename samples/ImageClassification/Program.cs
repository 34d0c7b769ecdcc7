// Model Builder-style image classification with compression: a folder of image files, one subfolder per class, goes
// through ML.NET's image transforms into a network trained in TorchSharp, which is then pruned and quantized to int8,
// evaluated, saved and used to predict one image file by path.
// Run from the repository root: dotnet run -c Release --project samples/ImageClassification [-- --images-per-class N]
using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Compression;
using Microsoft.ML.Compression.Analysis;
using Microsoft.ML.Compression.Datasets;
using Microsoft.ML.Compression.Estimators;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Runtime;
using Microsoft.ML.Transforms;
using SampleData;

int imagesPerClass = Setting(args, "--images-per-class", 3000);
int epochs = Setting(args, "--epochs", 8);
int fineTuneEpochs = Setting(args, "--fine-tune-epochs", 2);
const int Side = 32, LatencyBatch = 32;
var total = Stopwatch.StartNew();
string repoData = SampleDatasets.FindRepositoryDataRoot(AppContext.BaseDirectory);
string artifacts = Path.Combine(Path.GetDirectoryName(repoData)!, "artifacts", "image-classification");
Directory.CreateDirectory(artifacts);

var ml = new MLContext(seed: 0);
ml.Log += (_, e) =>
{
    if ((e.Kind == ChannelMessageKind.Info && e.Source.Contains("Compression", StringComparison.Ordinal)) || e.Kind == ChannelMessageKind.Warning)
        Console.WriteLine(e.RawMessage);
};

// 1. Images on disk: Fashion-MNIST written once as PNG files into data/fashion-png/<class name>/.
string folder = FashionPngFolder.Ensure(repoData, imagesPerClass, Console.WriteLine);
ImageFolderData images = ImageFolder.Load(ml, folder);
Console.WriteLine($"{images.Count:N0} images in {images.ClassNames.Count} classes ({images.GrayscaleFiles:N0} grayscale, read as RGB); {images.Warnings.Count} warning(s).");
var split = ml.Data.TrainTestSplit(images.Data, testFraction: 0.2, seed: 0);

// 2. ML.NET's own image transforms: class names -> key, file -> 32x32 RGB pixels (0..255, planar).
//    The network normalizes the pixels itself, so the exported model takes exactly what ExtractPixels gives.
var input = new ImageInput(3, Side, Side) { Mean = new[] { 0.286f * 255 }, Std = new[] { 0.353f * 255 } };
var prepare = ml.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: ValueToKeyMappingEstimator.KeyOrdinality.ByValue)
    .Append(ImageFolder.PixelPipeline(ml, input));
ITransformer preparation = prepare.Fit(split.TrainSet);
IDataView train = preparation.Transform(split.TrainSet);
IDataView test = preparation.Transform(split.TestSet);

// 3. Train a compact VGG-style network (channel counts multiples of 16, which int8 kernels run fastest).
NetworkGraph network = CompactVgg(input, images.ClassNames.Count);
var watch = Stopwatch.StartNew();
var fp32 = ml.Transforms.Compression.Train(network, new NetworkTrainer.Options { Epochs = epochs, BatchSize = 64, LearningRate = 0.05 }).Fit(train);
Console.WriteLine($"Trained fp32 in {watch.Elapsed.TotalSeconds:F0}s.");

// 4. Compress: prune half the channels (keeping multiples of 16) with fine-tuning, then int8 quantization-aware training.
watch.Restart();
var compressed = ml.Transforms.Compression.Plan(fp32)
    .L1NormPruning(new L1NormPruner.Options { PruneRate = 0.5, ChannelMultiple = 16, Epochs = fineTuneEpochs })
    .QuantizeAwareTraining(new QuantizeAwareTrainer.Options { Epochs = fineTuneEpochs, LearningRate = 0.005 })
    .Fit(train);
Console.WriteLine($"Pruned and quantized in {watch.Elapsed.TotalSeconds:F0}s.");
Console.WriteLine(compressed.Plan);
var ptq = ml.Transforms.Compression.PostTrainingQuantization(fp32).Fit(train);

// 5. Evaluate on the held-back images and time the exported models in ONNX Runtime (batch 32, one thread).
double Accuracy(ITransformer model) => ml.MulticlassClassification.Evaluate(model.Transform(test)).MicroAccuracy;
var comparison = new ModelComparison();
comparison.Add("fp32", fp32, Accuracy(fp32));
// Rows are named by method: where int8 would be slower than fp32 on this CPU, the export stays float (the method column says which).
comparison.Add("PTQ", ptq, Accuracy(ptq));
comparison.Add("pruned 50% + QAT", compressed, Accuracy(compressed));
var rows = comparison.Measure(OnnxLatency.FirstRows(test, "Features", LatencyBatch), LatencyBatch);
ModelComparison.Print(rows, LatencyBatch, threads: 1);

// 6. Save the whole pipeline (image loading included) as an ML.NET model, and the network as ONNX.
var toClassName = ml.Transforms.Conversion.MapKeyToValue("PredictedClass", "PredictedLabel");
ITransformer scoring = preparation.Append(compressed);
ITransformer pipeline = scoring.Append(toClassName.Fit(scoring.Transform(split.TrainSet)));
string zip = Path.Combine(artifacts, "model.zip"), onnx = Path.Combine(artifacts, "model.onnx");
ml.Model.Save(pipeline, split.TrainSet.Schema, zip);
compressed.SaveOnnx(onnx);

// 7. Predict one image file by path with the reloaded model: the answer is a class name.
ITransformer reloaded = ml.Model.Load(zip, out _);
var engine = ml.Model.CreatePredictionEngine<ModelInput, ModelOutput>(reloaded);
var sample = ml.Data.CreateEnumerable<ModelInput>(split.TestSet, reuseRowObject: false).First();
ModelOutput prediction = engine.Predict(new ModelInput { ImagePath = sample.ImagePath });
Console.WriteLine($"{Path.GetRelativePath(folder, sample.ImagePath)}: predicted '{prediction.PredictedClass}' (p = {prediction.Score.Max():P1}), true class '{sample.Label}'.");

var results = new
{
    dataset = $"Fashion-MNIST as PNG files, {imagesPerClass} per class, 80/20 split, RGB {Side}x{Side}",
    train_images = images.Count - ml.Data.CreateEnumerable<ModelInput>(split.TestSet, reuseRowObject: true).Count(),
    epochs,
    fine_tune_epochs = fineTuneEpochs,
    models = rows,
    accuracy_drop_points = (rows[0].Accuracy - rows[2].Accuracy) * 100,
    compressed_speed_up = rows[2].SpeedUp,
    predicted_class = prediction.PredictedClass,
    true_class = sample.Label,
    total_seconds = total.Elapsed.TotalSeconds,
};
ModelComparison.WriteJson(Path.Combine(artifacts, "results.json"), results);
Console.WriteLine($"Accuracy change {-results.accuracy_drop_points:+0.00;-0.00} points, speed-up {results.compressed_speed_up:F2}x (pruned + QAT); wrote {zip}, {onnx} and results.json in {total.Elapsed.TotalMinutes:F1} min.");

static NetworkGraph CompactVgg(ImageInput input, int classes)
{
    var b = new NetworkBuilder("compact-vgg", input);
    string x = b.Input;
    int n = 0;
    foreach (int[] stage in new[] { new[] { 16, 16 }, new[] { 32, 32 }, new[] { 64, 64 } })
    {
        foreach (int width in stage)
        {
            n++;
            x = b.ReLU(b.BatchNorm2d(b.Conv2d(x, width, 3, padding: 1, bias: false, name: $"conv{n}"), $"bn{n}"), $"relu{n}");
        }
        x = b.MaxPool2d(x, 2, name: $"pool{n / 2}");
    }
    x = b.ReLU(b.Linear(b.Flatten(x, "flatten"), 128, name: "fc1"), "relu_fc1");
    return b.Build(b.Linear(x, classes, name: "fc2"));
}

static int Setting(string[] args, string name, int fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out int value) && value > 0 ? value : fallback;
}

/// <summary>What the model reads: an image file and (for training and evaluation) its class name, as Model Builder's generated code has it.</summary>
public sealed class ModelInput
{
    public string ImagePath { get; set; } = "";
    public string Label { get; set; } = "";
}

/// <summary>What the model answers: the class name and the probability of each class.</summary>
public sealed class ModelOutput
{
    public string PredictedClass { get; set; } = "";
    public float[] Score { get; set; } = Array.Empty<float>();
}
