using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.ML.Compression.Datasets;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Onnx;
using Microsoft.ML.Compression.Onnx.Proto;
using Microsoft.ML.Compression.Quantization;
using Microsoft.ML.Compression.Training;
using Microsoft.ML.Compression.Zoo;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;

namespace Microsoft.ML.Compression.Tests.Quantization;

/// <summary>The QDQ export: ONNX Runtime fuses it into integer kernels and computes what the TorchSharp simulation computes.</summary>
[TestClass]
public class QuantizedExportTests
{
    private const int Images = 1000;

    internal static NetworkGraph Trained(NetworkGraph net, int rows = 2000, int epochs = 2)
    {
        LabeledDataset train = TestData.MnistArrays(MnistSplit.Train, rows);
        torch.random.manual_seed(0);
        using var module = new GraphModule(net);
        new TrainingLoop(new TrainingOptions { Epochs = epochs, BatchSize = 64 }).Run(module, train);
        return module.ToGraph();
    }

    internal static QuantizedNetwork Calibrated(NetworkGraph trained, CalibrationMethod method = CalibrationMethod.MinMax) =>
        Calibration.Quantize(trained, TestData.MnistArrays(MnistSplit.Train, 256), method, 99.99, null, "KeepFloatLayers");

    [TestMethod]
    public void LeNet5AgreesWithSimulation() => AssertAgreement(Calibrated(Trained(NetworkZoo.LeNet5())));

    [TestMethod]
    public void ResNet20AgreesWithSimulation() => AssertAgreement(Calibrated(Trained(NetworkZoo.ResNet20(), rows: 1000, epochs: 1)));

    private static void AssertAgreement(QuantizedNetwork q)
    {
        LabeledDataset test = TestData.MnistArrays(MnistSplit.Test, Images);
        float[] simulated;
        using (var module = q.ToModule())
        using (torch.no_grad())
        using (var x = torch.tensor(test.Features, new long[] { Images, 784 }))
        using (var logits = module.call(x))
            simulated = logits.data<float>().ToArray();

        byte[] onnx = OnnxExporter.Export(q);
        string optimizedPath = Path.Combine(Path.GetTempPath(), $"qdq-{Guid.NewGuid():N}.onnx");
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_EXTENDED, OptimizedModelFilePath = optimizedPath };
        float[] ort;
        using (var session = new InferenceSession(onnx, options))
        {
            var input = NamedOnnxValue.CreateFromTensor("Features", new DenseTensor<float>(test.Features, new[] { Images, 784 }));
            using var results = session.Run(new[] { input }, new[] { OnnxExporter.LogitsOutput });
            ort = results.First().AsEnumerable<float>().ToArray();
        }
        var ops = ModelProto.Parser.ParseFrom(File.ReadAllBytes(optimizedPath)).Graph.Node.GroupBy(n => n.OpType).ToDictionary(g => g.Key, g => g.Count());
        File.Delete(optimizedPath);
        Console.WriteLine(string.Join(", ", ops.Select(o => $"{o.Key}x{o.Value}")));

        int agree = 0;
        double maxDiff = 0;
        for (int n = 0; n < Images; n++)
        {
            var a = simulated.AsSpan(n * 10, 10).ToArray();
            var b = ort.AsSpan(n * 10, 10).ToArray();
            if (Array.IndexOf(a, a.Max()) == Array.IndexOf(b, b.Max())) agree++;
            maxDiff = Math.Max(maxDiff, a.Zip(b).Max(p => Math.Abs(p.First - p.Second)));
        }
        Console.WriteLine($"{q.Graph.Name}: agreement {agree}/{Images}, max |logit diff| {maxDiff:E2}");
        Assert.IsTrue(agree >= Images * 0.995, $"{q.Graph.Name}: top-1 agreement {agree}/{Images}");
    }
}
