using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Onnx;
using Microsoft.ML.Compression.Onnx.Import;
using Microsoft.ML.Compression.Onnx.Proto;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Compression.Tests.Onnx.Import;

/// <summary>
/// Runs ONNX files written by other tools as they are (their own input name, shape, fixed or symbolic batch) and
/// checks that importing them and writing them back with the library's fp32 writer scores the same in ONNX Runtime.
/// </summary>
internal static class ForeignModels
{
    /// <summary>Class probabilities of <paramref name="rows"/> flattened inputs through the original model.</summary>
    public static float[] Probabilities(byte[] model, float[] inputs, int rows)
    {
        ModelProto proto = ModelProto.Parser.ParseFrom(model);
        var initializers = proto.Graph.Initializer.Select(t => t.Name).ToHashSet();
        ValueInfoProto input = proto.Graph.Input.Single(i => !initializers.Contains(i.Name));
        string output = proto.Graph.Output[0].Name;
        string head = proto.Graph.Node.LastOrDefault(n => n.Output.Contains(output))?.OpType ?? "";
        using var session = OrtRunner.Open(model);
        var result = new List<float>();
        OrtRunner.RunRows(session, input.Name, inputs, rows, outputs => result.AddRange(outputs.First(o => o.Name == output).AsTensor<float>()));
        float[] values = result.ToArray();
        int classes = values.Length / rows;
        return head switch
        {
            "Softmax" => values,
            "LogSoftmax" => values.Select(MathF.Exp).ToArray(),
            _ => Softmax(values, classes),
        };
    }

    /// <summary>
    /// Imports <paramref name="model"/>, writes it back in fp32, and asserts on <paramref name="rows"/> inputs (MNIST
    /// test images, or uniform noise in [0, 1)), normalized by <paramref name="mean"/> and <paramref name="std"/>, that
    /// ONNX Runtime's probabilities differ by at most <paramref name="tolerance"/> with the same top-1, and TorchSharp's too.
    /// </summary>
    public static NetworkGraph AssertImportKeepsScores(byte[] model, int rows = 256, float tolerance = 1e-4f, int seed = 5,
        float mean = 0f, float std = 1f, bool realImages = false)
    {
        NetworkGraph network = OnnxImporter.Import(model);
        // Real images (MNIST test digits, 784 pixels / 255) or uniform noise in [0, 1), normalized as the model expects.
        float[] inputs = realImages ? TestData.MnistFeatures(Microsoft.ML.Compression.Datasets.MnistSplit.Test, rows) : TestWeights.RandomInputs(rows, network.InputSize, seed);
        if (!realImages)
            for (int i = 0; i < inputs.Length; i++) inputs[i] = (inputs[i] + 1f) / 2f;
        for (int i = 0; i < inputs.Length; i++) inputs[i] = (inputs[i] - mean) / std;
        float[] expected = Probabilities(model, inputs, rows);
        OrtRunner.Result actual = OrtRunner.Run(OnnxExporter.Export(network), inputs, rows);
        int classes = network.ClassCount;
        Assert.AreEqual(expected.Length, actual.Score.Length, "class count");
        float diff = TorchLogits.MaxAbsDifference(expected, actual.Score);
        Assert.IsTrue(diff <= tolerance, $"max |difference in probabilities| {diff} > {tolerance}");
        for (int r = 0; r < rows; r++)
            Assert.AreEqual(OrtRunner.ArgMax(expected, r, classes), (int)actual.Labels[r], $"top-1 of row {r}");
        // Training and compression run the TorchSharp form of the same network.
        float torchDiff = TorchLogits.MaxAbsDifference(expected, Softmax(TorchLogits.Of(network, inputs, rows), classes));
        Assert.IsTrue(torchDiff <= tolerance, $"TorchSharp: max |difference in probabilities| {torchDiff} > {tolerance}");
        return network;
    }

    private static float[] Softmax(float[] logits, int classes)
    {
        var p = new float[logits.Length];
        for (int r = 0; r < logits.Length / classes; r++)
        {
            double max = Enumerable.Range(0, classes).Max(j => logits[r * classes + j]);
            double sum = Enumerable.Range(0, classes).Sum(j => Math.Exp(logits[r * classes + j] - max));
            for (int j = 0; j < classes; j++) p[r * classes + j] = (float)(Math.Exp(logits[r * classes + j] - max) / sum);
        }
        return p;
    }
}
