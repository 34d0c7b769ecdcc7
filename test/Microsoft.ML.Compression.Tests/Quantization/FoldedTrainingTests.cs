using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Quantization;
using Microsoft.ML.Compression.Tests.Onnx;
using Microsoft.ML.Compression.Zoo;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Tests.Quantization;

/// <summary>
/// Quantization-aware training of a convolution with its BatchNorm folded in, against the textbook form written out
/// here: y = conv(x, Q(w * f)) / f + b, then BatchNorm with the batch statistics, where f = gamma / sqrt(var + eps).
/// </summary>
[TestClass]
public class FoldedTrainingTests
{
    [TestMethod]
    public void TrainingStepMatchesConvolutionDividedByTheFoldFactorThenBatchNorm()
    {
        NetworkGraph net = TestWeights.FillRandom(NetworkZoo.LeNet5(batchNorm: true), seed: 3);
        // A negative and a tiny scale: the fold factor carries gamma's sign and can be far from 1.
        float[] gamma = (float[])net["bn1"].Parameters["weight"].Data.Clone();
        gamma[0] = -0.8f;
        gamma[1] = 0.01f;
        net["bn1"].SetParameter("weight", new ParameterTensor(new[] { gamma.Length }, gamma));
        var conv = (Conv2dLayer)net["conv1"];
        var bn = (BatchNorm2dLayer)net["bn1"];

        using var model = new QuantizationAwareModel(net, null, "KeepFloatLayers", RangeTracking.MinMax, 0.999, foldBatchNorm: true);
        model.SetQuantizing(true);
        model.Module.train();
        FakeQuantWeightLayer folded = model.LayerModule("conv1");
        Dictionary<string, Tensor> p = folded.named_parameters().ToDictionary(e => e.name, e => (Tensor)e.parameter);
        Dictionary<string, Tensor> buffers = folded.named_buffers().ToDictionary(e => e.name, e => e.buffer);

        // The reference: its own leaf tensors with the same starting values.
        Tensor Leaf(string name) => p[name].detach().clone().requires_grad_(true);
        using Tensor w = Leaf("layer.weight"), g = Leaf("bn.weight"), beta = Leaf("bn.bias");
        using Tensor? b = p.ContainsKey("layer.bias") ? Leaf("layer.bias") : null;
        using Tensor mean = buffers["bn.running_mean"].clone(), variance = buffers["bn.running_var"].clone();

        torch.manual_seed(11);
        using Tensor x = torch.randn(16, 1, 28, 28), upstream = torch.randn(16, conv.OutChannels, 28, 28);
        using Tensor z = folded.call(x);
        (z * upstream).sum().backward();

        using (var scope = torch.NewDisposeScope())
        {
            Tensor f = g / (variance + bn.Epsilon).sqrt();
            Tensor quantized = FakeQuantize.WeightsPerChannel(w * f.reshape(-1, 1, 1, 1));
            Tensor y = nn.functional.conv2d(x, quantized, null, padding: new long[] { conv.Window.PadTop, conv.Window.PadLeft }) / f.reshape(1, -1, 1, 1);
            if (b is not null) y = y + b.reshape(1, -1, 1, 1);
            Tensor expected = nn.functional.batch_norm(y, mean, variance, g, beta, training: true, momentum: bn.Momentum, eps: bn.Epsilon);
            (expected * upstream).sum().backward();

            // Relative to each tensor's own largest value, however small.
            static void Close(Tensor e, Tensor a, string what) => TensorAssert.Close(e, a, what, minScale: 1e-6);

            Close(expected, z, "output");
            Close(mean, buffers["bn.running_mean"], "running mean");
            Close(variance, buffers["bn.running_var"], "running variance");
            Close(w.grad!, p["layer.weight"].grad!, "weight gradient");
            Close(g.grad!, p["bn.weight"].grad!, "gamma gradient");
            Close(beta.grad!, p["bn.bias"].grad!, "beta gradient");
            if (b is not null) Close(b.grad!, p["layer.bias"].grad!, "bias gradient");
        }
    }
}
