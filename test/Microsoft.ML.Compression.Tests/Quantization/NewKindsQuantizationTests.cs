using System.Linq;
using Microsoft.ML.Compression.Compressed;
using Microsoft.ML.Compression.Datasets;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Onnx;
using Microsoft.ML.Compression.Quantization;
using Microsoft.ML.Compression.Tests.Onnx;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Compression.Tests.Quantization;

/// <summary>Post-training int8 of a network with the kinds imported models bring: the export computes what the simulation does.</summary>
[TestClass]
public class NewKindsQuantizationTests
{
    [TestMethod]
    public void Int8ExportOfImportedKindsAgreesWithSimulation()
    {
        var b = new NetworkBuilder("imported-kinds", 1, 28, 28);
        string x = b.ScaleShift(b.Input, "normalize");
        x = b.HardSwish(b.Conv2d(b.Pad(x, 0, 0, 1, 1, name: "pad"), 8, 3, stride: 2, name: "conv1"), "hswish");
        string s = b.ReLU(b.Conv2d(b.GlobalAvgPool(x, "pool"), 4, 1, name: "reduce"), "reduce_relu");
        x = b.Mul(x, b.HardSigmoid(b.Conv2d(s, 8, 1, name: "expand"), HardSigmoidLayer.TorchAlpha, 0.5, "gate"), "se");
        x = b.LeakyReLU(b.Conv2d(b.Pad(x, 1, 1, 1, 1, mode: PadMode.Reflect, name: "reflect"), 8, 3, stride: 2, name: "conv2"), 0.1, "leaky");
        x = b.Sigmoid(b.Conv2d(x, 8, 3, name: "conv3"), "sigmoid");
        NetworkGraph net = TestWeights.FillRandom(b.Build(b.Linear(b.Flatten(x, "flat"), 10, name: "fc")), seed: 3);
        net["normalize"].SetParameter("weight", ParameterTensor.Filled(new[] { 1 }, 1 / 0.3081f));
        net["normalize"].SetParameter("bias", ParameterTensor.Filled(new[] { 1 }, -0.1307f / 0.3081f));

        CompressedNetwork q = Calibration.Quantize(net, TestData.MnistArrays(MnistSplit.Train, 256), CalibrationMethod.MinMax, 99.99, null, "KeepFloatLayers", () => { });

        Assert.IsFalse(q.Activations.ContainsKey("pad"), "zero padding keeps its input's grid");
        Assert.IsTrue(q.Activations.ContainsKey("se") && q.Activations.ContainsKey("normalize"), "Mul and ScaleShift outputs get their own grids");
        float[] inputs = TestData.MnistFeatures(MnistSplit.Test, 64);
        float[] simulated = TorchLogits.Of(q, inputs, 64);
        float[] ort = OrtRunner.Run(OnnxExporter.Export(q), inputs, 64).Logits;
        float range = simulated.Max() - simulated.Min();
        Assert.IsTrue(TorchLogits.MaxAbsDifference(simulated, ort) <= 0.02f * range, $"max |difference| {TorchLogits.MaxAbsDifference(simulated, ort)} of a logit range {range}");
        int agree = Enumerable.Range(0, 64).Count(n => OrtRunner.ArgMax(simulated, n, 10) == OrtRunner.ArgMax(ort, n, 10));
        Assert.IsTrue(agree >= 62, $"{agree}/64 predictions agree");
    }
}
