using System;
using System.Linq;
using Google.Protobuf;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Onnx;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using DataType = Microsoft.ML.Compression.Onnx.Proto.TensorProto.Types.DataType;

namespace Microsoft.ML.Compression.Tests.Onnx.Import;

/// <summary>
/// Models whose input fixes the batch at 1 spell the batch as 1 in their own shapes (the ONNX model zoo's MNIST model:
/// SAME_UPPER convolutions, biases as Adds of [C,1,1] constants, Reshape to [1, F], MatMul + Add).
/// </summary>
[TestClass]
public class FixedBatchImportTests
{
    [TestMethod]
    public void AFixedBatchOfOneImportsWithItsOwnReshapeTarget()
    {
        var random = new Random(11);
        float[] Values(int n) => Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        var b = new OnnxGraphBuilder("zoo_mnist");
        b.AddInput("Input3", DataType.Float, 1, 1, 12, 12);
        b.Reserve("Plus214_Output_0");
        string x = b.AddNode("Conv", new[] { "Input3", b.AddFloat("w", new long[] { 4, 1, 5, 5 }, Values(100)) }, "conv",
            OnnxAttributes.Ints("kernel_shape", 5, 5), OnnxAttributes.String("auto_pad", "SAME_UPPER"));
        x = b.AddNode("Add", new[] { x, b.AddFloat("bias", new long[] { 4, 1, 1 }, Values(4)) }, "plus");
        x = b.AddNode("Relu", new[] { x }, "relu");
        x = b.AddNode("MaxPool", new[] { x }, "pool", OnnxAttributes.Ints("kernel_shape", 2, 2), OnnxAttributes.Ints("strides", 2, 2));
        x = b.AddNode("Reshape", new[] { x, b.AddInitializer(OnnxTensors.Int64Vector("shape", 1, 144)) }, "reshape");
        x = b.AddNode("MatMul", new[] { x, b.AddFloat("fc", new long[] { 144, 10 }, Values(1440)) }, "times");
        b.AddNode("Add", new[] { x, b.AddFloat("fc_bias", new long[] { 1, 10 }, Values(10)) }, new[] { "Plus214_Output_0" }, "plus214");
        b.AddOutput("Plus214_Output_0", DataType.Float, 1, 10);

        NetworkGraph network = ForeignModels.AssertImportKeepsScores(b.ToModel(13, "test", "1").ToByteArray(), rows: 16);

        CollectionAssert.AreEqual(new[] { "Conv2d", "ReLU", "MaxPool2d", "Flatten", "Linear" }, network.Layers.Select(l => l.Kind).ToArray(),
            "the bias Adds fold into the Conv and the MatMul");
    }
}
