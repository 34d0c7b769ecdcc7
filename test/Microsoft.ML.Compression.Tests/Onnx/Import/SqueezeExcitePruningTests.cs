using System.Linq;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Onnx;
using Microsoft.ML.Compression.Onnx.Import;
using Microsoft.ML.Compression.Pruning;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Compression.Tests.Onnx.Import;

/// <summary>An imported squeeze-and-excitation block prunes consistently: the gate's channels go with the map's.</summary>
[TestClass]
public sealed class SqueezeExcitePruningTests
{
    private const int Rows = 3;

    [TestMethod]
    public void L1PruningOfAnImportedSqueezeExciteBlockEqualsMasking()
    {
        NetworkGraph net = OnnxImporter.Import(ElementwiseImportTests.SqueezeExcite());
        var deps = new ChannelDependencies(net);
        // The Mul couples the block's output channels with the gate's (and so with the excite convolution's filters).
        ChannelGroup block = deps.Groups.Single(g => g.Layers.Contains("conv"));
        CollectionAssert.AreEqual(new[] { "conv", "se_expand" }, block.Layers.ToArray());

        var removed = ChannelSelection.PerGroup(deps, ChannelImportance.FilterL1(deps), 0.5);
        NetworkGraph pruned = ChannelPruner.Prune(deps, removed);

        Assert.AreEqual(3, ((Conv2dLayer)pruned["conv"]).OutChannels);
        Assert.AreEqual(3, ((Conv2dLayer)pruned["se_expand"]).OutChannels);
        Assert.AreEqual(2, ((Conv2dLayer)pruned["se_reduce"]).OutChannels);
        Assert.AreEqual(3, ((Conv2dLayer)pruned["se_reduce"]).InChannels);
        Assert.AreEqual(3, ((Conv2dLayer)pruned["conv2"]).InChannels);
        Assert.AreEqual(deps.PredictedParameterCount(removed), pruned.ParameterCount);

        float[] inputs = TestWeights.RandomInputs(Rows, net.InputSize, seed: 31);
        using var masked = new GraphModule(net);
        ChannelMasks.Apply(masked, deps, removed);
        float[] small = TorchLogits.Of(pruned, inputs, Rows);
        float diff = TorchLogits.MaxAbsDifference(TorchLogits.Of(masked, inputs, Rows), small);
        Assert.IsTrue(diff <= 1e-4f, $"pruned vs masked {diff}");
        float ort = TorchLogits.MaxAbsDifference(small, OrtRunner.Run(OnnxExporter.Export(pruned), inputs, Rows).Logits);
        Assert.IsTrue(ort <= 1e-4f, $"ONNX Runtime vs TorchSharp on the pruned network {ort}");
    }
}
