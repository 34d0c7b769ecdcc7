using System;
using System.Linq;
using Microsoft.ML.Compression.Datasets;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Onnx;
using Microsoft.ML.Compression.Training;
using Microsoft.ML.Compression.Zoo;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;

namespace Microsoft.ML.Compression.Tests.Onnx;

/// <summary>The exported model computes what the TorchSharp model computes, on real images, for every zoo net.</summary>
[TestClass]
public class TorchOnnxParityTests
{
    private const int Images = 256;

    [TestMethod]
    public void LeNet5() => AssertParity(NetworkZoo.LeNet5());

    [TestMethod]
    public void LeNet5WithBatchNorm() => AssertParity(NetworkZoo.LeNet5(batchNorm: true));

    [TestMethod]
    public void Vgg() => AssertParity(NetworkZoo.Vgg());

    [TestMethod]
    public void ResNet20() => AssertParity(NetworkZoo.ResNet20());

    [TestMethod]
    public void EveryLayerKind()
    {
        // The all-layer graph takes 12x12 inputs: use the centre crops of real digits.
        float[] digits = TestData.MnistFeatures(MnistSplit.Test, Images);
        float[] crops = new float[Images * 144];
        for (int n = 0; n < Images; n++)
            for (int y = 0; y < 12; y++)
                Array.Copy(digits, n * 784 + (y + 8) * 28 + 8, crops, n * 144 + y * 12, 12);
        AssertParity(Graph.GraphModuleTests.AllLayersNetwork(), crops, 144);
    }

    private static void AssertParity(NetworkGraph net)
    {
        // One short training pass so BatchNorm statistics and weights are realistic, not initial values.
        LabeledDataset train = TestData.MnistArrays(MnistSplit.Train, 512);
        torch.random.manual_seed(0);
        using var module = new GraphModule(net);
        new TrainingLoop(new TrainingOptions { Epochs = 1, BatchSize = 64 }).Run(module, train);
        AssertParity(module.ToGraph(), TestData.MnistFeatures(MnistSplit.Test, Images), 784);
    }

    private static void AssertParity(NetworkGraph trained, float[] inputs, int featureSize)
    {
        if (!trained.HasWeights) trained = TestWeights.FillRandom(trained.WithoutWeights(), 5);
        using var module = new GraphModule(trained);
        module.eval();
        float[] expected;
        using (torch.no_grad())
        using (var x = torch.tensor(inputs, new long[] { Images, featureSize }))
        using (var logits = module.call(x))
            expected = logits.data<float>().ToArray();

        byte[] onnx = OnnxExporter.Export(trained);
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_BASIC };
        using var session = new InferenceSession(onnx, options);
        var input = NamedOnnxValue.CreateFromTensor("Features", new DenseTensor<float>(inputs, new[] { Images, featureSize }));
        using var results = session.Run(new[] { input }, new[] { OnnxExporter.LogitsOutput });
        float[] actual = results.First().AsEnumerable<float>().ToArray();

        Assert.AreEqual(expected.Length, actual.Length);
        double maxDiff = expected.Zip(actual).Max(p => Math.Abs(p.First - p.Second));
        Assert.IsTrue(maxDiff <= 1e-4, $"{trained.Name}: max |logit difference| {maxDiff:E2} on {Images} images");
        Assert.IsTrue(expected.Any(v => Math.Abs(v) > 1e-2), "logits are not trivially zero");
    }
}
