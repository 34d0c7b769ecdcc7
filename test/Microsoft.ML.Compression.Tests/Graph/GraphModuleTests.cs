using System;
using System.Linq;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Tests.Onnx;
using Microsoft.ML.Compression.Zoo;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Tests.Graph;

[TestClass]
public class GraphModuleTests
{
    public static NetworkGraph[] ZooNets() => new[]
    {
        NetworkZoo.LeNet5(), NetworkZoo.LeNet5(batchNorm: true), NetworkZoo.Vgg(), NetworkZoo.ResNet20(),
    };

    [TestMethod]
    public void EveryZooNetProducesLogitsForFlatAndImageInputs()
    {
        foreach (NetworkGraph net in ZooNets())
        {
            using var module = new GraphModule(net);
            module.eval();
            using var x = torch.rand(3, 784);
            using var flat = module.call(x);
            using var image = module.call(x.reshape(3, 1, 28, 28));
            CollectionAssert.AreEqual(new long[] { 3, 10 }, flat.shape, net.Name);
            Assert.IsTrue(flat.allclose(image), net.Name);
        }
    }

    [TestMethod]
    public void WeightsRoundTripThroughTheGraph()
    {
        foreach (NetworkGraph net in ZooNets())
        {
            NetworkGraph weighted = TestWeights.FillRandom(net.WithoutWeights(), seed: 3);
            using var module = new GraphModule(weighted);
            NetworkGraph back = module.ToGraph();
            foreach (Layer layer in weighted.Layers)
                foreach (var (name, value) in layer.Parameters)
                    CollectionAssert.AreEqual(value.Data, back[layer.Name].Parameters[name].Data, $"{net.Name}/{layer.Name}.{name}");

            using var again = new GraphModule(back);
            module.eval();
            again.eval();
            using var x = torch.rand(4, 784);
            Assert.AreEqual(0f, (module.call(x) - again.call(x)).abs().max().item<float>(), net.Name);
        }
    }

    [TestMethod]
    public void WrongInputSizeIsReported()
    {
        using var module = new GraphModule(NetworkZoo.LeNet5());
        var ex = Assert.ThrowsExactly<ArgumentException>(() => module.call(torch.rand(2, 100)));
        StringAssert.Contains(ex.Message, "784");
    }

    [TestMethod]
    public void AllLayerKindsRunInTorch()
    {
        NetworkGraph net = AllLayersNetwork();
        using var module = new GraphModule(TestWeights.FillRandom(net, 1));
        module.eval();
        using var y = module.call(torch.rand(2, 1, 12, 12));
        CollectionAssert.AreEqual(new long[] { 2, 5 }, y.shape);
    }

    /// <summary>A small graph using every layer kind: depthwise conv, ReLU6, avg pool with padding, concat, add, dropout.</summary>
    public static NetworkGraph AllLayersNetwork()
    {
        var b = new NetworkBuilder("all-layers", 1, 12, 12);
        string x = b.ReLU(b.BatchNorm2d(b.Conv2d(b.Input, 8, 3, padding: 1)));
        string dw = b.ReLU6(b.BatchNorm2d(b.Conv2d(x, 8, 3, padding: 1, groups: 8, bias: false)));
        string pw = b.Conv2d(dw, 8, 1);
        string sum = b.Add(x, pw);
        string other = b.AvgPool2d(b.Conv2d(x, 4, 3, padding: 1), 3, stride: 1, padding: 1);
        string cat = b.Concat(new[] { sum, other });
        string pooled = b.MaxPool2d(cat, 2);
        string gap = b.GlobalAvgPool(pooled);
        string fc = b.ReLU(b.Linear(b.Dropout(b.Flatten(gap), 0.2), 16));
        return b.Build(b.Linear(fc, 5));
    }
}
