using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Onnx;
using Microsoft.ML.Compression.Pruning;
using Microsoft.ML.Compression.Tests.Onnx;
using Microsoft.ML.Compression.Tests.Pruning;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Compression.Tests.Graph;

/// <summary>
/// The contract every layer kind keeps, checked kind by kind on a small network around it: TorchSharp computes what a
/// naive float64 evaluator computes, ONNX Runtime what TorchSharp computes, parameters and MACs are the closed-form
/// counts, and pruning the channels that pass through it gives the masked network's logits and the predicted size.
/// A new kind without a sample here fails <see cref="EveryLayerKindHasASample"/>.
/// </summary>
[TestClass]
public class LayerKindTests
{
    /// <summary>A network around one layer of a kind, that layer's name, and its closed-form parameter and MAC counts.</summary>
    private sealed record Sample(Type Kind, NetworkGraph Network, string Layer, long Parameters, long Macs);

    private static readonly Dictionary<string, Func<Sample>> Samples = new()
    {
        // Input [3,8,8] throughout; each network ends in flatten -> fc(4) unless the sample is the Linear layer itself.
        ["conv"] = () => Build(typeof(Conv2dLayer), "k", b => b.ReLU(b.Conv2d(b.Input, 6, 3, padding: 1, name: "k")), 6 * 3 * 9 + 6, 6 * 8 * 8 * 3 * 9),
        ["conv-strided-no-bias"] = () => Build(typeof(Conv2dLayer), "k", b => b.Conv2d(b.Input, 5, 3, stride: 2, bias: false, name: "k"), 5 * 3 * 9, 5 * 3 * 3 * 3 * 9),
        ["conv-depthwise"] = () => Build(typeof(Conv2dLayer), "k", b => b.Conv2d(Pre(b), 6, 3, padding: 1, groups: 6, bias: false, name: "k"), 6 * 9, 6 * 8 * 8 * 9),
        ["conv-grouped"] = () => Build(typeof(Conv2dLayer), "k", b => b.Conv2d(Pre(b), 4, 3, padding: 1, groups: 2, name: "k"), 4 * 3 * 9 + 4, 4 * 8 * 8 * 3 * 9),
        ["batchnorm"] = () => Build(typeof(BatchNorm2dLayer), "k", b => b.BatchNorm2d(Pre(b), "k"), 2 * 6, 0),
        ["linear"] = () => Build(typeof(LinearLayer), "k", b => b.Flatten(Pre(b), "flat"), 6 * 64 * 4 + 4, 6 * 64 * 4, classifier: "k"),
        ["relu"] = () => Build(typeof(ReLULayer), "k", b => b.ReLU(Pre(b), "k"), 0, 0),
        ["relu6"] = () => Build(typeof(ReLU6Layer), "k", b => b.ReLU6(Pre(b), "k"), 0, 0),
        ["dropout"] = () => Build(typeof(DropoutLayer), "k", b => b.Dropout(Pre(b), 0.3, "k"), 0, 0),
        ["maxpool"] = () => Build(typeof(MaxPool2dLayer), "k", b => b.MaxPool2d(Pre(b), 2, name: "k"), 0, 0),
        ["avgpool-padded"] = () => Build(typeof(AvgPool2dLayer), "k", b => b.AvgPool2d(Pre(b), 3, stride: 2, padding: 1, name: "k"), 0, 0),
        ["global-max-pool"] = () => Build(typeof(GlobalMaxPoolLayer), "k", b => b.Add(new GlobalMaxPoolLayer("k", Pre(b))), 0, 0),
        ["gap"] = () => Build(typeof(GlobalAvgPoolLayer), "k", b => b.GlobalAvgPool(Pre(b), "k"), 0, 0),
        ["flatten"] = () => Build(typeof(FlattenLayer), "k", b => b.Flatten(Pre(b), "k"), 0, 0),
        ["add"] = () => Build(typeof(AddLayer), "k", b => b.Add(Pre(b), b.Conv2d(b.Input, 6, 1, name: "skip"), "k"), 0, 0),
        ["concat"] = () => Build(typeof(ConcatLayer), "k", b => b.Concat(new[] { Pre(b), b.Conv2d(b.Input, 4, 1, name: "side") }, "k"), 0, 0),
        // 3x1 kernel, dilation 2 and stride 2 down, pads [1,0,0,2]: 3 rows ((8+1-5)/2+1), 10 columns (8+2-1+1).
        ["conv-rectangular-dilated-asymmetric"] = () => Build(typeof(Conv2dLayer), "k",
            b => b.Add(new Conv2dLayer("k", Pre(b), 6, 5, new Window2d(3, 1, 2, 1, padTop: 1, padLeft: 0, padBottom: 0, padRight: 2, dilationHeight: 2))),
            5 * 6 * 3 + 5, 5 * 3 * 10 * 6 * 3),
        ["maxpool-ceil-asymmetric"] = () => Build(typeof(MaxPool2dLayer), "k",
            b => b.Add(new MaxPool2dLayer("k", Pre(b), new Window2d(3, 3, 2, 2, 0, 0, 1, 1, ceilMode: true))), 0, 0),
        ["avgpool-ceil-count-pads"] = () => Build(typeof(AvgPool2dLayer), "k",
            b => b.Add(new AvgPool2dLayer("k", Pre(b), new Window2d(3, 2, 2, 2, 1, 0, 1, 0, ceilMode: true), countIncludePad: true)), 0, 0),
        ["avgpool-asymmetric"] = () => Build(typeof(AvgPool2dLayer), "k",
            b => b.Add(new AvgPool2dLayer("k", Pre(b), new Window2d(2, 2, 2, 2, 0, 0, 1, 1))), 0, 0),
        // NCHW -> NHWC before the flatten, as Keras exports: pruning must find each channel every 6th feature.
        ["transpose"] = () => Build(typeof(TransposeLayer), "k", b => b.Add(new TransposeLayer("k", Pre(b), new[] { 1, 2, 0 })), 0, 0),
        // A channel slice fixes the channels before it; a row slice lets them through.
        ["slice-channels"] = () => Build(typeof(SliceLayer), "k", b => b.ReLU(b.Conv2d(b.Add(new SliceLayer("k", Pre(b), 0, 1, 3, 2)), 5, 3, name: "post")), 0, 0),
        ["slice-rows"] = () => Build(typeof(SliceLayer), "k", b => b.Add(new SliceLayer("k", Pre(b), 1, 2, 5)), 0, 0),
        // Reshape fixes the sizes before it; the convolution after it stays prunable.
        ["reshape"] = () => Build(typeof(ReshapeLayer), "k", b => b.ReLU(b.Conv2d(b.Add(new ReshapeLayer("k", Pre(b), new[] { 12, 4, 8 })), 5, 3, padding: 1, name: "post")), 0, 0),
        ["clip"] = () => Build(typeof(ClipLayer), "k", b => b.Add(new ClipLayer("k", Raw(b), -0.5f, 0.75f)), 0, 0),
        ["clip-one-sided"] = () => Build(typeof(ClipLayer), "k", b => b.Add(new ClipLayer("k", Raw(b), float.NegativeInfinity, 0.25f)), 0, 0),
        ["prelu"] = () => Build(typeof(PReLULayer), "k", b => b.Add(new PReLULayer("k", Raw(b), 6)), 6, 0),
        ["prelu-shared"] = () => Build(typeof(PReLULayer), "k", b => b.Add(new PReLULayer("k", Raw(b), 1)), 1, 0),
        ["leaky-relu"] = () => Build(typeof(LeakyReLULayer), "k", b => b.LeakyReLU(Raw(b), 0.1, "k"), 0, 0),
        ["sigmoid"] = () => Build(typeof(SigmoidLayer), "k", b => b.Sigmoid(Raw(b), "k"), 0, 0),
        ["hard-sigmoid"] = () => Build(typeof(HardSigmoidLayer), "k", b => b.HardSigmoid(Raw(b), HardSigmoidLayer.TorchAlpha, 0.5, "k"), 0, 0),
        ["hard-sigmoid-onnx-defaults"] = () => Build(typeof(HardSigmoidLayer), "k", b => b.HardSigmoid(Raw(b), name: "k"), 0, 0),
        ["hard-swish"] = () => Build(typeof(HardSwishLayer), "k", b => b.HardSwish(Raw(b), "k"), 0, 0),
        ["mul"] = () => Build(typeof(MulLayer), "k", b => b.Mul(Pre(b), b.Conv2d(b.Input, 6, 1, name: "side"), "k"), 0, 0),
        ["mul-squeeze-excite"] = () => Build(typeof(MulLayer), "k", b =>
        {
            string x = Pre(b);
            string squeeze = b.ReLU(b.Conv2d(b.GlobalAvgPool(x, "se_pool"), 3, 1, name: "se_reduce"), "se_relu");
            return b.Mul(x, b.HardSigmoid(b.Conv2d(squeeze, 6, 1, name: "se_expand"), HardSigmoidLayer.TorchAlpha, 0.5, "se_gate"), "k");
        }, 0, 0),
        ["scale-shift"] = () => Build(typeof(ScaleShiftLayer), "k", b => b.ScaleShift(Pre(b), "k"), 2 * 6, 0),
        ["scale-shift-vector"] = () => Build(typeof(ScaleShiftLayer), "k", b => b.ScaleShift(b.Flatten(Pre(b), "flat"), "k"), 2 * 6 * 64, 0),
        ["pad"] = () => Build(typeof(PadLayer), "k", b => b.Pad(Pre(b), 1, 0, 2, 1, 0.5f, name: "k"), 0, 0),
        ["pad-reflect"] = () => Build(typeof(PadLayer), "k", b => b.Pad(Pre(b), 2, 1, 0, 3, mode: PadMode.Reflect, name: "k"), 0, 0),
        ["pad-edge"] = () => Build(typeof(PadLayer), "k", b => b.Pad(Pre(b), 0, 2, 1, 1, mode: PadMode.Edge, name: "k"), 0, 0),
    };

    // A prunable convolution in front of the layer under test, so channels flow into it.
    private static string Pre(NetworkBuilder b) => b.ReLU(b.Conv2d(b.Input, 6, 3, padding: 1, name: "pre"), "pre_relu");

    // The same convolution without the ReLU, for activations whose negative side matters.
    private static string Raw(NetworkBuilder b) => b.Conv2d(b.Input, 6, 3, padding: 1, name: "pre");

    private static Sample Build(Type kind, string layer, Func<NetworkBuilder, string> body, long parameters, long macs, string? classifier = null)
    {
        var b = new NetworkBuilder("sample", 3, 8, 8);
        string x = body(b);
        if (b.ShapeOf(x).Length > 1) x = b.Flatten(x, "flatten");
        NetworkGraph network = TestWeights.FillRandom(b.Build(b.Linear(x, 4, name: classifier ?? "fc")), seed: 11);
        return new Sample(kind, network, layer, parameters, macs);
    }

    public static IEnumerable<object[]> Names => Samples.Keys.Select(k => new object[] { k });

    [TestMethod]
    public void EveryLayerKindHasASample()
    {
        var kinds = typeof(Layer).Assembly.GetTypes().Where(t => t.IsSubclassOf(typeof(Layer)) && !t.IsAbstract).ToList();
        var covered = Samples.Values.Select(s => s().Kind).ToHashSet();
        var missing = kinds.Where(k => !covered.Contains(k)).Select(k => k.Name).ToArray();
        Assert.AreEqual(0, missing.Length, $"layer kinds without a sample in {nameof(LayerKindTests)}: {string.Join(", ", missing)}");
        Assert.IsTrue(kinds.Count >= 12);
    }

    [TestMethod]
    [DynamicData(nameof(Names))]
    public void TorchSharpOnnxRuntimeAndAFloat64ReferenceAgree(string name)
    {
        Sample sample = Samples[name]();
        NetworkGraph net = sample.Network;
        Assert.IsInstanceOfType(net[sample.Layer], sample.Kind);
        float[] inputs = TestWeights.RandomInputs(4, net.InputSize, seed: 12);
        using var module = new GraphModule(net);
        float[] torch = TorchLogits.Of(module, inputs, 4);
        float[] reference = Enumerable.Range(0, 4).SelectMany(r => ReferenceEvaluator.Evaluate(net, inputs.Skip(r * net.InputSize).Take(net.InputSize).ToArray())).ToArray();
        Assert.IsTrue(TorchLogits.MaxAbsDifference(torch, reference) <= 1e-4f, $"{name}: TorchSharp vs reference {TorchLogits.MaxAbsDifference(torch, reference)}");
        float[] ort = OrtRunner.Run(OnnxExporter.Export(net), inputs, 4).Logits;
        Assert.IsTrue(TorchLogits.MaxAbsDifference(torch, ort) <= 1e-4f, $"{name}: ONNX Runtime vs TorchSharp {TorchLogits.MaxAbsDifference(torch, ort)}");
    }

    [TestMethod]
    [DynamicData(nameof(Names))]
    public void ParametersAndMacsAreTheClosedFormCounts(string name)
    {
        Sample sample = Samples[name]();
        Layer layer = sample.Network[sample.Layer];
        Assert.AreEqual(sample.Parameters, layer.ParameterCount, $"{name}: parameters");
        Assert.AreEqual(sample.Macs, layer.Macs(sample.Network.InputShapesOf(layer), sample.Network.ShapeOf(layer.Name)), $"{name}: MACs");
    }

    [TestMethod]
    [DynamicData(nameof(Names))]
    public void PruningThroughTheLayerEqualsMaskingAndPredictsTheSize(string name)
    {
        Sample sample = Samples[name]();
        var deps = new ChannelDependencies(sample.Network);
        if (name == "conv-grouped")
        {
            // Its groups tie channels across the convolution before it, so neither side may lose any.
            Assert.AreEqual(0, deps.Channels.Count);
            StringAssert.Contains(deps.SkippedLayers["k"], "grouped convolution");
            StringAssert.Contains(deps.SkippedLayers["pre"], "read by 'k', a grouped convolution");
            return;
        }
        if (name == "scale-shift-vector")
        {
            // Channel masks act on maps, and shifted features of a masked channel are not zero: pruning stops there.
            Assert.AreEqual(0, deps.Channels.Count);
            StringAssert.Contains(deps.SkippedLayers["pre"], "ScaleShift of a vector");
            return;
        }
        Assert.IsTrue(deps.Channels.Count > 0, $"{name}: something is prunable");
        for (int seed = 0; seed < 3; seed++)
        {
            HashSet<int> removed = PruningTestNets.RandomRemoval(deps, 0.4, seed);
            NetworkGraph pruned = ChannelPruner.Prune(deps, removed);
            Assert.AreEqual(deps.PredictedParameterCount(removed), pruned.ParameterCount, $"{name}: predicted size");
            float[] inputs = TestWeights.RandomInputs(3, sample.Network.InputSize, seed: 13);
            using var masked = new GraphModule(sample.Network);
            ChannelMasks.Apply(masked, deps, removed);
            using var small = new GraphModule(pruned);
            float diff = TorchLogits.MaxAbsDifference(TorchLogits.Of(masked, inputs, 3), TorchLogits.Of(small, inputs, 3));
            Assert.IsTrue(diff <= 1e-4f, $"{name}: pruned vs masked {diff}");
        }
    }
}
