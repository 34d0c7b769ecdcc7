using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.Compression.Estimators;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Tests.Onnx;
using Microsoft.ML.Compression.Zoo;
using Microsoft.ML.Data;
using Microsoft.ML.Compression.Training;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Compression.Tests.Zoo;

/// <summary>
/// Every method of the library fits the ImageNet architectures on RGB images (narrow versions, 32 and 64 pixels, so
/// both the small-image and the ImageNet stems are covered; random pixels and labels, one short epoch): the model
/// exports ONNX that ONNX Runtime runs like TorchSharp's simulation of it, and ML.NET scores it.
/// </summary>
[TestClass]
public class ImageNetZooMethodTests
{
    private const int Rows = 16, Classes = 10;

    private static readonly string[] Methods = { "train", "ptq", "qat", "slb", "l1", "scop", "slim", "distill" };
    private static readonly string[] Nets = { "resnet18-32", "resnet18-64", "mobilenetv2-32", "mobilenetv2-64" };
    private static readonly Dictionary<string, CompressedModelTransformer> Trained = new();

    /// <summary>Each method on each network: 32 fits, about 30 s on 2 shared cores.</summary>
    public static IEnumerable<object[]> Cases =>
        Methods.SelectMany(m => Nets.Select(n => new object[] { m, n }));

    [ClassCleanup]
    public static void Cleanup()
    {
        foreach (var model in Trained.Values) model.Dispose();
        Trained.Clear();
    }

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void MethodFitsExportsAndScores(string method, string net)
    {
        ImageInput input = InputOf(net);
        IDataView data = Data(net);
        CompressedModelTransformer start = Start(net);
        CompressedModelTransformer model = method == "train" ? start : Fit(method, net, start, data);
        try
        {
            float[] pixels = RandomImages.Pixels(input, 8, seed: 5);
            float[] torch = TorchLogits.Of(model.Compressed, pixels, 8);
            float[] ort = OrtRunner.Run(model.OnnxModel, pixels, 8).Logits;
            AssertSameLogits(torch, ort, quantized: method is "ptq" or "qat", $"{method} on {net}");

            float[][] scores = model.Transform(data).GetColumn<float[]>("Score").ToArray();
            Assert.AreEqual(Rows, scores.Length);
            Assert.IsTrue(scores.All(s => s.Length == Classes && Math.Abs(s.Sum() - 1) < 1e-4), $"{method} on {net}: ML.NET's scores are probabilities");
            if (method is "l1" or "scop" or "slim")
                Assert.IsTrue(model.Pruning!.ParametersAfter < model.Pruning.ParametersBefore, $"{method} on {net}: {model.Pruning}");
        }
        finally
        {
            if (model != start) model.Dispose();
        }
    }

    /// <summary>
    /// Float models agree to rounding. With integer activations a value on a rounding boundary may land one grid step
    /// apart in the two runtimes and move its row's logits a little (measured: 1 row of 8 after QAT of ResNet-18 at
    /// 64 px, by 3% of the largest logit). Boundaries can also be hit in bulk: after one QAT step of MobileNetV2 at
    /// 32 px the pooled features' grid came out a quarter of the grid of the map they average over 16 positions, so a
    /// quarter of the pooled values sat exactly half-way between two steps, and the two runtimes' sums (agreeing to
    /// 1e-8) rounded 279 of 10,240 of them apart; every row moved, by at most 1.6% of the largest logit, while every
    /// layer before the pool agreed to 1e-7. So every row must agree within 5% of the largest logit: a wrong scale or
    /// layer moves the logits by far more.
    /// </summary>
    private static void AssertSameLogits(float[] torch, float[] ort, bool quantized, string what)
    {
        float scale = Math.Max(1e-3f, torch.Max(MathF.Abs));
        int rows = torch.Length / Classes;
        float[] rowDiff = Enumerable.Range(0, rows)
            .Select(r => TorchLogits.MaxAbsDifference(torch.AsSpan(r * Classes, Classes).ToArray(), ort.AsSpan(r * Classes, Classes).ToArray())).ToArray();
        int exact = rowDiff.Count(d => d <= 1e-4f * Math.Max(1, scale));
        string detail = $"{what}: ONNX Runtime vs TorchSharp, max |logit difference| per row {string.Join(", ", rowDiff)} (largest logit {scale})";
        if (!quantized) Assert.AreEqual(rows, exact, detail);
        else Assert.IsTrue(rowDiff.Max() <= 0.05f * scale, detail);
    }

    private static CompressedModelTransformer Fit(string method, string net, CompressedModelTransformer start, IDataView data)
    {
        var c = TestModels.Compression;
        return method switch
        {
            "ptq" => c.PostTrainingQuantization(start, new PostTrainingQuantizer.Options { CalibrationSamples = Rows }).Fit(data),
            "qat" => c.QuantizeAwareTraining(start, Quick(new QuantizeAwareTrainer.Options())).Fit(data),
            "slb" => c.Slb(start, Quick(new SlbQuantizer.Options { WeightBits = 2, BatchNormCalibrationRows = Rows })).Fit(data),
            "l1" => c.L1NormPruning(start, Quick(new L1NormPruner.Options { PruneRate = 0.3 })).Fit(data),
            "scop" => c.Scop(start, Quick(new ScopPruner.Options { PruneRate = 0.3, KnockoffRows = Rows })).Fit(data),
            "slim" => c.NetworkSlimming(start, Quick(new NetworkSlimming.Options { PruneRate = 0.3, SparsityEpochs = 1 })).Fit(data),
            // A student of the other family learns from the trained network.
            "distill" => c.Distill(Network(net.StartsWith("resnet", StringComparison.Ordinal) ? "mobilenetv2" + net[8..] : "resnet18" + net[11..]), start,
                Quick(new Distiller.Options())).Fit(data),
            _ => throw new ArgumentOutOfRangeException(nameof(method), method, null),
        };
    }

    private static T Quick<T>(T options) where T : TrainingOptions
    {
        options.Epochs = 1;
        options.BatchSize = 16;
        return options;
    }

    private static NetworkGraph Network(string net) => net switch
    {
        "resnet18-32" => NetworkZoo.ResNet18(ImageInput.Rgb(32, 32), Classes, baseWidth: 4),
        "resnet18-64" => NetworkZoo.ResNet18(ImageInput.Rgb(64, 64), Classes, baseWidth: 4),
        "mobilenetv2-32" => NetworkZoo.MobileNetV2(ImageInput.Rgb(32, 32), Classes, widthMultiplier: 0.25),
        "mobilenetv2-64" => NetworkZoo.MobileNetV2(ImageInput.Rgb(64, 64), Classes, widthMultiplier: 0.25),
        _ => throw new ArgumentOutOfRangeException(nameof(net), net, null),
    };

    private static ImageInput InputOf(string net) => ImageInput.Of(Network(net))!;

    private static IDataView Data(string net) => RandomImages.DataView(TestModels.Ml, InputOf(net), Rows, Classes, seed: net.Length);

    /// <summary>The network trained by the Train estimator for one epoch (the "train" case, and every other method's start).</summary>
    private static CompressedModelTransformer Start(string net)
    {
        if (!Trained.TryGetValue(net, out var model))
            Trained[net] = model = TestModels.Compression.Train(Network(net), Quick(new NetworkTrainer.Options())).Fit(Data(net));
        return model;
    }
}
