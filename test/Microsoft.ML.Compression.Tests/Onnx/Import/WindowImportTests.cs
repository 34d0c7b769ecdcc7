using System;
using System.Linq;
using Google.Protobuf;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Onnx;
using Microsoft.ML.Compression.Onnx.Proto;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using DataType = Microsoft.ML.Compression.Onnx.Proto.TensorProto.Types.DataType;

namespace Microsoft.ML.Compression.Tests.Onnx.Import;

/// <summary>
/// Sliding windows as exporters write them (rectangular kernels, per-axis strides, dilations, asymmetric and
/// automatic pads, ceil mode, count_include_pad) import to networks that score like the file, in ONNX Runtime and
/// in TorchSharp.
/// </summary>
[TestClass]
public class WindowImportTests
{
    private static AttributeProto Ints(string name, params long[] values) => OnnxAttributes.Ints(name, values);

    /// <summary>Image [N,2,9,9] -> op under test (3 channels out for a Conv) -> GlobalAveragePool -> Flatten -> Gemm -> 4 logits.</summary>
    private static byte[] Model(string opType, int opset, params AttributeProto[] attributes)
    {
        var random = new Random(3);
        float[] Values(int n) => Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var b = new OnnxGraphBuilder("windows");
        b.AddInput("image", DataType.Float, OnnxGraphBuilder.BatchDimension, 2, 9, 9);
        b.Reserve("logits");
        string x = "image";
        int channels = 2;
        if (opType == "Conv")
        {
            long[] kernel = attributes.FirstOrDefault(a => a.Name == "kernel_shape")?.Ints.ToArray() ?? new long[] { 3, 3 };
            string w = b.AddFloat("w", new long[] { 3, 2, kernel[0], kernel[1] }, Values(6 * (int)(kernel[0] * kernel[1])));
            x = b.AddNode("Conv", new[] { x, w, b.AddFloat("bias", new long[] { 3 }, Values(3)) }, "conv", attributes);
            channels = 3;
        }
        else
            x = b.AddNode(opType, new[] { x }, "pool", attributes);
        x = b.AddNode("GlobalAveragePool", new[] { x }, "gap");
        x = b.AddNode("Flatten", new[] { x }, "flat", OnnxAttributes.Int("axis", 1));
        b.AddNode("Gemm", new[] { x, b.AddFloat("fc", new long[] { 4, channels }, Values(4 * channels)) }, new[] { "logits" }, "fc", OnnxAttributes.Int("transB", 1));
        b.AddOutput("logits", DataType.Float, OnnxGraphBuilder.BatchDimension, 4);
        return b.ToModel(opset, "test", "1").ToByteArray();
    }

    [TestMethod]
    [DataRow("dilated", new long[] { 3, 3 })]
    [DataRow("rectangular", new long[] { 3, 1 })]
    [DataRow("strided", new long[] { 2, 3 })]
    [DataRow("asymmetric", new long[] { 3, 2 })]
    [DataRow("same_upper", new long[] { 4, 4 })]
    [DataRow("same_lower", new long[] { 3, 3 })]
    [DataRow("valid", new long[] { 3, 3 })]
    public void ConvWindowsImportAndScoreLikeTheFile(string variant, long[] kernel)
    {
        AttributeProto[] attributes = variant switch
        {
            "dilated" => new[] { Ints("kernel_shape", kernel), Ints("dilations", 2, 2), Ints("pads", 1, 1, 1, 1) },
            "rectangular" => new[] { Ints("kernel_shape", kernel), Ints("pads", 1, 0, 1, 0) },
            "strided" => new[] { Ints("kernel_shape", kernel), Ints("strides", 2, 1) },
            "asymmetric" => new[] { Ints("kernel_shape", kernel), Ints("pads", 0, 1, 2, 0), Ints("strides", 2, 2) },
            "same_upper" => new[] { Ints("kernel_shape", kernel), OnnxAttributes.String("auto_pad", "SAME_UPPER"), Ints("strides", 2, 2) },
            "same_lower" => new[] { Ints("kernel_shape", kernel), OnnxAttributes.String("auto_pad", "SAME_LOWER"), Ints("strides", 2, 2) },
            _ => new[] { Ints("kernel_shape", kernel), OnnxAttributes.String("auto_pad", "VALID") },
        };
        NetworkGraph network = ForeignModels.AssertImportKeepsScores(Model("Conv", 13, attributes));
        var conv = network.Layers.OfType<Conv2dLayer>().Single();
        Assert.AreEqual((int)kernel[0], conv.Window.KernelHeight);
        Assert.AreEqual((int)kernel[1], conv.Window.KernelWidth);
        if (variant == "same_upper") // 9 -> 5 outputs of a 4-wide kernel at stride 2: 3 pads, 1 before, 2 after
            Assert.AreEqual((1, 2), (conv.Window.PadTop, conv.Window.PadBottom));
    }

    [TestMethod]
    [DataRow("MaxPool", "ceil")]
    [DataRow("MaxPool", "asymmetric")]
    [DataRow("MaxPool", "dilated")]
    [DataRow("AveragePool", "ceil")]
    [DataRow("AveragePool", "count_pads")]
    [DataRow("AveragePool", "ceil_count_pads")]
    [DataRow("AveragePool", "asymmetric")]
    [DataRow("AveragePool", "same_upper")]
    public void PoolingWindowsImportAndScoreLikeTheFile(string opType, string variant)
    {
        AttributeProto[] attributes = variant switch
        {
            "ceil" => new[] { Ints("kernel_shape", 2, 2), Ints("strides", 2, 2), OnnxAttributes.Int("ceil_mode", 1) },
            "asymmetric" => new[] { Ints("kernel_shape", 3, 3), Ints("strides", 2, 2), Ints("pads", 0, 1, 1, 0) },
            "dilated" => new[] { Ints("kernel_shape", 2, 2), Ints("dilations", 2, 2) },
            "count_pads" => new[] { Ints("kernel_shape", 3, 3), Ints("strides", 2, 2), Ints("pads", 1, 1, 1, 1), OnnxAttributes.Int("count_include_pad", 1) },
            "ceil_count_pads" => new[] { Ints("kernel_shape", 3, 3), Ints("strides", 2, 2), Ints("pads", 1, 1, 1, 1), OnnxAttributes.Int("count_include_pad", 1), OnnxAttributes.Int("ceil_mode", 1) },
            _ => new[] { Ints("kernel_shape", 2, 2), Ints("strides", 2, 2), OnnxAttributes.String("auto_pad", "SAME_UPPER") },
        };
        // Average of a whole map is the same with or without pooling first, so make the pooled map matter: ReLU after.
        ForeignModels.AssertImportKeepsScores(Model(opType, 13, attributes));
    }
}
