using System;
using System.Linq;
using Google.Protobuf;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Onnx;
using Microsoft.ML.Compression.Onnx.Import;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using DataType = Microsoft.ML.Compression.Onnx.Proto.TensorProto.Types.DataType;

namespace Microsoft.ML.Compression.Tests.Onnx.Import;

/// <summary>Weights computed from constants fold to exactly the values ONNX Runtime computes.</summary>
[TestClass]
public sealed class ConstantFoldingTests
{
    private const int Rows = 3;

    /// <summary>
    /// A Gemm weight built by every evaluator: DequantizeLinear per tensor (uint8, zero point 128) and per axis 1
    /// (INT4 with zero points), Slice reversing an axis, BitShift left (overflowing uint8), BitwiseAnd, Cast, Unsqueeze,
    /// Squeeze, and Mul/Add/Sub broadcasting scalars and rows. The model also outputs the weight, so ORT's own values
    /// are the reference.
    /// </summary>
    [TestMethod]
    public void FoldedWeightIsOnnxRuntimes()
    {
        var random = new Random(41);
        var b = new OnnxGraphBuilder("folding");
        b.AddInput("Features", DataType.Float, OnnxGraphBuilder.BatchDimension, 8);
        b.Reserve(OnnxExporter.LogitsOutput);
        b.Reserve("Weight");
        string image = b.AddNode("Reshape", new[] { "Features", b.AddInt64("shape", new long[] { 4 }, new long[] { -1, 2, 2, 2 }) }, "image");
        string features = b.AddNode("Flatten", new[] { image }, "flatten", OnnxAttributes.Int("axis", 1));

        byte[] RandomBytes(int n) => Enumerable.Range(0, n).Select(_ => (byte)random.Next(256)).ToArray();
        long[] matrix = { 4, 8 }, row = { 8 };
        string w1 = b.AddNode("DequantizeLinear", new[]
        {
            b.AddUInt8("w1_q", matrix, RandomBytes(32)), b.AddInitializer(OnnxTensors.FloatScalar("w1_scale", 0.05f)),
            b.AddUInt8("w1_zero_point", Array.Empty<long>(), new byte[] { 128 }),
        }, "w1");
        int[] codes = Enumerable.Range(0, 32).Select(_ => random.Next(-8, 8)).ToArray();
        int[] zeroPoints = Enumerable.Range(0, 8).Select(_ => random.Next(-3, 4)).ToArray();
        string w2 = b.AddNode("DequantizeLinear", new[]
        {
            b.AddConstant(OnnxTensors.Raw("w2_q", DataType.Int4, matrix, SubBytePacking.Pack(codes, 4), 32)),
            b.AddFloat("w2_scale", row, Enumerable.Range(1, 8).Select(i => 0.01f * i).ToArray()),
            b.AddConstant(OnnxTensors.Raw("w2_zero_point", DataType.Int4, row, SubBytePacking.Pack(zeroPoints, 4), 8)),
        }, "w2", OnnxAttributes.Int("axis", 1));
        string reversed = b.AddNode("Slice", new[]
        {
            w2, b.AddInt64("starts", new long[] { 1 }, new long[] { -1 }), b.AddInt64("ends", new long[] { 1 }, new long[] { -100 }),
            b.AddInt64("axes", new long[] { 1 }, new long[] { 1 }), b.AddInt64("steps", new long[] { 1 }, new long[] { -1 }),
        }, "reversed");
        string shifted = b.AddNode("BitShift", new[] { b.AddUInt8("bytes", matrix, RandomBytes(32)), b.AddUInt8("shifts", row, new byte[] { 0, 1, 2, 3, 4, 5, 6, 7 }) },
            "shifted", OnnxAttributes.String("direction", "LEFT"));
        string masked = b.AddNode("BitwiseAnd", new[] { shifted, b.AddUInt8("mask", Array.Empty<long>(), new byte[] { 0xF0 }) }, "masked");
        string bits = b.AddNode("Cast", new[] { masked }, "bits", OnnxAttributes.Int("to", (int)DataType.Float));
        string axis0 = b.AddInt64("axis0", new long[] { 1 }, new long[] { 0 });
        string offsets = b.AddNode("Squeeze", new[]
        {
            b.AddNode("Unsqueeze", new[] { b.AddFloat("offsets", row, Enumerable.Range(0, 8).Select(_ => (float)random.NextDouble()).ToArray()), axis0 }, "offsets_row"),
            axis0,
        }, "offsets_vector");
        string product = b.AddNode("Mul", new[] { w1, reversed }, "product");
        string scaledBits = b.AddNode("Mul", new[] { bits, b.AddInitializer(OnnxTensors.FloatScalar("bit_scale", 0.001f)) }, "scaled_bits");
        string sum = b.AddNode("Add", new[] { product, scaledBits }, "sum");
        b.AddNode("Sub", new[] { sum, offsets }, new[] { "Weight" }, "weight");
        b.AddNode("Gemm", new[] { features, "Weight" }, new[] { OnnxExporter.LogitsOutput }, "fc", OnnxAttributes.Int("transB", 1));
        b.AddOutput(OnnxExporter.LogitsOutput, DataType.Float, OnnxGraphBuilder.BatchDimension, 4);
        b.AddOutput("Weight", DataType.Float, 4, 8);
        byte[] model = b.ToModel(21, "test", "1").ToByteArray();

        NetworkGraph imported = OnnxImporter.Import(model);

        float[] inputs = TestWeights.RandomInputs(Rows, 8, seed: 42);
        using InferenceSession session = OrtRunner.Open(model);
        using var results = session.Run(new[] { NamedOnnxValue.CreateFromTensor("Features", new DenseTensor<float>(inputs, new[] { Rows, 8 })) });
        float[] weight = results.Single(r => r.Name == "Weight").AsTensor<float>().ToArray();
        float[] logits = results.Single(r => r.Name == OnnxExporter.LogitsOutput).AsTensor<float>().ToArray();

        Assert.AreEqual("fc", imported.OutputLayer.Name);
        CollectionAssert.AreEqual(weight, imported["fc"].Parameters["weight"].Data, "the folded weight is bit for bit ORT's");
        float diff = TorchLogits.MaxAbsDifference(logits, TorchLogits.Of(imported, inputs, Rows));
        Assert.IsTrue(diff <= 1e-5f, $"max |logit difference| {diff}");
    }
}
