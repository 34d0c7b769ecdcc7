using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Google.Protobuf;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Onnx;
using Microsoft.ML.Compression.Onnx.Import;
using Microsoft.ML.Compression.Onnx.Proto;
using Microsoft.ML.Compression.Tests.Pruning;
using Microsoft.ML.Compression.Zoo;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Compression.Tests.Onnx.Import;

/// <summary>fp32 export -> import gives back the network: same layers and weights, same logits, the same file again.</summary>
[TestClass]
public sealed class Fp32RoundTripTests
{
    private const int Rows = 3;

    public static IEnumerable<object[]> Networks() =>
        new[] { "lenet5", "lenet5-bn", "vgg", "resnet20", "mobilenetv2", "inception", "mixed", "new-kinds" }.Select(n => new object[] { n });

    internal static NetworkGraph Network(string name) => name switch
    {
        "lenet5" => NetworkZoo.LeNet5(),
        "lenet5-bn" => NetworkZoo.LeNet5(batchNorm: true),
        "vgg" => NetworkZoo.Vgg(),
        "resnet20" => NetworkZoo.ResNet20(),
        "mobilenetv2" => NetworkZoo.MobileNetV2(),
        "inception" => PruningTestNets.Inception(),
        "mixed" => Mixed(),
        "new-kinds" => NewKinds(),
        _ => throw new ArgumentException(name),
    };

    [TestMethod]
    [DynamicData(nameof(Networks))]
    public void RoundTripKeepsLayersWeightsAndLogits(string name)
    {
        NetworkGraph original = TestWeights.FillRandom(Network(name), seed: 21);
        byte[] model = OnnxExporter.Export(original);

        NetworkGraph imported = OnnxImporter.Import(model);

        NetworkGraph expected = ImportChecks.WithoutDropout(original);
        ImportChecks.AssertSameStructure(expected, imported);
        ImportChecks.AssertParameters(imported, (layer, p) => expected[layer].Parameters[p].Data);
        float[] inputs = TestWeights.RandomInputs(Rows, original.InputSize, seed: 22);
        float diff = TorchLogits.MaxAbsDifference(TorchLogits.Of(original, inputs, Rows), TorchLogits.Of(imported, inputs, Rows));
        Assert.IsTrue(diff <= 1e-5f, $"{name}: max |logit difference| {diff}");

        byte[] again = OnnxExporter.Export(imported);
        CollectionAssert.AreEqual(OrtRunner.Run(model, inputs, Rows).Logits, OrtRunner.Run(again, inputs, Rows).Logits, "ORT scores the re-export identically");
        // A final dropout is written as an Identity to the logits, which the imported network (without it) does not need.
        if (original.OutputLayer is not DropoutLayer)
            CollectionAssert.AreEqual(model, again, "the re-export is the same file");
    }

    [TestMethod]
    public void WithoutMetadataTheGraphNameAndInputReshapeSayWhatItIs()
    {
        NetworkGraph original = TestWeights.FillRandom(NetworkZoo.ResNet20(), seed: 23);
        ModelProto model = ModelProto.Parser.ParseFrom(OnnxExporter.Export(original));
        model.MetadataProps.Clear();

        NetworkGraph imported = OnnxImporter.Import(model.ToByteArray());

        ImportChecks.AssertSameStructure(original, imported);
    }

    [TestMethod]
    public void ImportsFromAFile()
    {
        NetworkGraph original = TestWeights.FillRandom(NetworkZoo.LeNet5(), seed: 24);
        string path = Path.Combine(Path.GetTempPath(), $"import-{Guid.NewGuid():N}.onnx");
        try
        {
            OnnxExporter.ExportToFile(original, path);
            ImportChecks.AssertSameStructure(original, OnnxImporter.Import(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void SupportedOpTypesCoverEveryOpTheExportersWrite()
    {
        string[] written =
        {
            "Add", "ArgMax", "AveragePool", "BatchNormalization", "BitShift", "BitwiseAnd", "Cast", "Clip", "Concat", "Constant", "Conv",
            "DequantizeLinear", "Flatten", "Gemm", "GlobalAveragePool", "Identity", "MaxPool", "Mul", "QuantizeLinear", "Relu", "Reshape",
            "Slice", "Softmax", "Sub", "LeakyRelu", "Sigmoid", "HardSigmoid", "HardSwish", "Pad", "Div", "Transpose",
        };
        string[] heads = { "ArgMax", "Softmax" }; // read past, never converted
        CollectionAssert.AreEqual(Array.Empty<string>(), written.Except(heads).Except(OnnxImporter.SupportedOpTypes).ToArray());
    }

    /// <summary>
    /// The kinds imported models brought: padding in three modes, LeakyReLU, a ScaleShift that has nothing to fold
    /// into, HardSwish, a squeeze-and-excitation gate (HardSigmoid, Mul) and a sigmoid.
    /// </summary>
    private static NetworkGraph NewKinds()
    {
        var b = new NetworkBuilder("new-kinds", 3, 9, 9);
        string x = b.Conv2d(b.Pad(b.Input, 1, 0, 0, 1, name: "pad_in"), 6, 3, name: "conv");
        x = b.HardSwish(b.ScaleShift(b.LeakyReLU(x, 0.1, "leaky"), "affine"), "hswish");
        string s = b.ReLU(b.Conv2d(b.GlobalAvgPool(x, "pool"), 3, 1, name: "reduce"), "reduce_relu");
        x = b.Mul(x, b.HardSigmoid(b.Conv2d(s, 6, 1, name: "expand"), HardSigmoidLayer.TorchAlpha, 0.5, "gate"), "se");
        x = b.Sigmoid(b.Conv2d(b.Pad(x, 1, 1, 1, 1, mode: PadMode.Reflect, name: "reflect"), 4, 3, name: "conv2"), "sigmoid");
        x = b.Pad(b.Pad(x, 0, 0, 1, 1, mode: PadMode.Edge, name: "edge"), 0, 1, 1, 0, 0.5f, name: "pad_out");
        return b.Build(b.Linear(b.Flatten(x, "flat"), 5, name: "fc"));
    }

    /// <summary>Every layer type: grouped and depthwise convolutions, padded pooling, channel and vector concatenation, a 3-input Add, a final dropout.</summary>
    private static NetworkGraph Mixed()
    {
        var b = new NetworkBuilder("mixed", 3, 9, 9);
        string x = b.Conv2d(b.Input, 6, 3, padding: 1, groups: 3, name: "grouped");
        x = b.ReLU6(b.BatchNorm2d(x, "bn1"), "relu6");
        string dw = b.Conv2d(x, 6, 3, stride: 2, padding: 1, groups: 6, bias: false, name: "dw");
        string avg = b.AvgPool2d(dw, 3, stride: 1, padding: 1, name: "avg");
        string max = b.MaxPool2d(dw, 3, stride: 1, padding: 1, name: "max");
        string cat = b.Concat(new[] { avg, max }, "cat");
        string pw = b.Conv2d(cat, 12, 1, name: "pw");
        string pw2 = b.Conv2d(cat, 12, 3, padding: 1, bias: false, name: "pw2");
        string sum = b.Add(new AddLayer("add3", new[] { pw, cat, pw2 }));
        string r = b.ReLU(sum, "relu");
        string g = b.Flatten(b.GlobalAvgPool(r, "gap"), "flat_gap");
        string p = b.Flatten(b.AvgPool2d(r, 2, padding: 1, name: "avg2"), "flat_pool");
        string v = b.Concat(new[] { g, p }, "vcat");
        v = b.ReLU(b.Linear(v, 16, name: "fc1"), "relu_fc");
        return b.Build(b.Dropout(b.Linear(v, 5, bias: false, name: "fc2"), 0.2, "drop"));
    }
}
