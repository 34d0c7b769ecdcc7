using System;
using System.Linq;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Onnx;
using Microsoft.ML.Compression.Onnx.Import;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using DataType = Microsoft.ML.Compression.Onnx.Proto.TensorProto.Types.DataType;

namespace Microsoft.ML.Compression.Tests.Onnx.Import;

/// <summary>
/// Activations, Mul of two tensors, arithmetic with constants and Pad as exporters write them: each imported model
/// scores like ONNX Runtime on the original, and becomes the layers expected.
/// </summary>
[TestClass]
public sealed class ElementwiseImportTests
{
    private const int C = ImageModels.Channels, Width = 6 * 8 * 8;
    private static readonly float TorchAlpha = (float)HardSigmoidLayer.TorchAlpha;

    [TestMethod]
    [DataRow("LeakyRelu", 13, "LeakyReLU")]
    [DataRow("LeakyRelu-default", 7, "LeakyReLU")]
    [DataRow("Sigmoid", 13, "Sigmoid")]
    [DataRow("HardSigmoid-default", 13, "HardSigmoid")]
    [DataRow("HardSigmoid-torch", 13, "HardSigmoid")]
    [DataRow("HardSwish", 14, "HardSwish")]
    [DataRow("HardSwish-before-14", 13, "HardSwish")]
    [DataRow("Mul-same-shape", 13, "Mul")]
    [DataRow("Pad-constant", 13, "Pad")]
    [DataRow("Pad-attributes", 10, "Pad")]
    [DataRow("Pad-reflect", 13, "Pad")]
    [DataRow("Pad-edge", 13, "Pad")]
    [DataRow("Pad-axes", 18, "Pad")]
    public void EachOpScoresLikeOnnxRuntime(string name, int opset, string kind)
    {
        var m = new ImageModels(opset);
        string x = m.Conv(m.Input, "conv", C, 6);
        int width = Width;
        switch (name)
        {
            case "LeakyRelu": x = m.Node("LeakyRelu", "op", new[] { x }, OnnxAttributes.Float("alpha", 0.2f)); break;
            case "LeakyRelu-default": x = m.Node("LeakyRelu", "op", new[] { x }); break;
            case "Sigmoid": x = m.Node("Sigmoid", "op", new[] { x }); break;
            case "HardSigmoid-default": x = m.Node("HardSigmoid", "op", new[] { x }); break;
            case "HardSigmoid-torch": x = m.Node("HardSigmoid", "op", new[] { x }, OnnxAttributes.Float("alpha", TorchAlpha)); break;
            case "HardSwish": x = m.Node("HardSwish", "op", new[] { x }); break;
            case "HardSwish-before-14": // PyTorch's export of Hardswish below opset 14
                x = m.Node("Mul", "op", new[] { x, m.Node("HardSigmoid", "op_gate", new[] { x }, OnnxAttributes.Float("alpha", TorchAlpha), OnnxAttributes.Float("beta", 0.5f)) });
                break;
            case "Mul-same-shape": x = m.Node("Mul", "op", new[] { x, m.Conv(m.Input, "side", C, 6) }); break;
            case "Pad-constant":
                x = m.Node("Pad", "op", new[] { x, m.Builder.AddInt64("pads", new long[] { 8 }, new long[] { 0, 0, 1, 0, 0, 0, 2, 1 }), m.Builder.AddInitializer(OnnxTensors.FloatScalar("value", 0.25f)) });
                width = 6 * 11 * 9;
                break;
            case "Pad-attributes":
                x = m.Node("Pad", "op", new[] { x }, OnnxAttributes.Ints("pads", 0, 0, 0, 1, 0, 0, 1, 0), OnnxAttributes.Float("value", -1f));
                width = 6 * 9 * 9;
                break;
            case "Pad-reflect":
                x = m.Node("Pad", "op", new[] { x, m.Builder.AddInt64("pads", new long[] { 8 }, new long[] { 0, 0, 2, 1, 0, 0, 0, 3 }) }, OnnxAttributes.String("mode", "reflect"));
                width = 6 * 10 * 12;
                break;
            case "Pad-edge":
                x = m.Node("Pad", "op", new[] { x, m.Builder.AddInt64("pads", new long[] { 8 }, new long[] { 0, 0, 0, 2, 0, 0, 1, 1 }) }, OnnxAttributes.String("mode", "edge"));
                width = 6 * 9 * 11;
                break;
            case "Pad-axes": // opset 18: pads for the listed axes only, negative axes allowed
                x = m.Node("Pad", "op", new[] { x, m.Builder.AddInt64("pads", new long[] { 4 }, new long[] { 1, 2, 1, 0 }), "", m.Builder.AddInt64("axes", new long[] { 2 }, new long[] { -1, 2 }) });
                width = 6 * 10 * 10;
                break;
            default: throw new ArgumentException(name);
        }
        NetworkGraph imported = ImageModels.ImportAndCompare(m.Finish(x, width));
        CollectionAssert.AreEqual(new[] { "Conv2d", kind, "Flatten", "Linear" }, imported.Layers.Where(l => l.Name != "side").Select(l => l.Kind).ToArray());
    }

    [TestMethod]
    public void SqueezeExciteBecomesAGatedMul()
    {
        byte[] model = SqueezeExcite();

        NetworkGraph imported = ImageModels.ImportAndCompare(model);

        var mul = imported.Layers.OfType<MulLayer>().Single();
        CollectionAssert.AreEqual(new[] { 6, 8, 8 }, imported.ShapeOf(mul.Name));
        Assert.AreEqual("se_gate", imported[mul.Inputs[1]].Name);
    }

    [TestMethod]
    public void ConstantArithmeticAfterAConvFoldsIntoIt()
    {
        // A bias-free Conv followed by Add [1,C,1,1] (its bias), Mul by a scalar, Div by [C,1,1], c - x, and a
        // Constant node's value: all of it ends in the Conv's weight and bias.
        var m = new ImageModels();
        string x = m.Conv(m.Input, "conv", C, 6, bias: false);
        x = m.Node("Add", "bias", new[] { x, m.Constant("b", 1, 6, 1, 1) });
        x = m.Node("Mul", "scale", new[] { m.Builder.AddInitializer(OnnxTensors.FloatScalar("s", 1.5f)), x });
        x = m.Node("Div", "div", new[] { x, m.Builder.AddFloat("d", new long[] { 6, 1, 1 }, new float[] { 1, 2, 3, -4, 5, 0.5f }) });
        x = m.Node("Sub", "flip", new[] { m.Constant("c", 6, 1, 1), x });
        x = m.Node("Sub", "shift", new[] { x, m.Builder.AddConstant(OnnxTensors.FloatScalar("k", 0.125f)) });
        x = m.Node("Relu", "relu", new[] { x });

        NetworkGraph imported = ImageModels.ImportAndCompare(m.Finish(x, Width));

        CollectionAssert.AreEqual(new[] { "Conv2d", "ReLU", "Flatten", "Linear" }, imported.Layers.Select(l => l.Kind).ToArray());
        Assert.IsTrue(((Conv2dLayer)imported.Layers[0]).HasBias);
    }

    [TestMethod]
    public void ConstantArithmeticAfterBatchNormAndGemmFoldsIntoThem()
    {
        var m = new ImageModels();
        string x = m.Conv(m.Input, "conv", C, 6);
        x = m.Node("BatchNormalization", "bn", new[]
        {
            x, m.Constant("gamma", 6), m.Constant("beta", 6), m.Constant("mean", 6),
            m.Builder.AddFloat("var", new long[] { 6 }, Enumerable.Repeat(0.8f, 6).ToArray()),
        });
        x = m.Node("Relu", "relu", new[] { m.Node("Mul", "bn_scale", new[] { x, m.Constant("g", 1, 6, 1, 1) }) });
        string Tail(string logits) => m.Node("Add", "logit_shift", new[] { m.Node("Mul", "logit_scale", new[] { logits, m.Constant("t", 1, 3) }), m.Constant("u", 3) });

        NetworkGraph imported = ImageModels.ImportAndCompare(m.Finish(x, Width, Tail));

        CollectionAssert.AreEqual(new[] { "Conv2d", "BatchNorm2d", "ReLU", "Flatten", "Linear" }, imported.Layers.Select(l => l.Kind).ToArray());
    }

    [TestMethod]
    public void InputNormalizationBecomesOneScaleShift()
    {
        // (x - mean) / std on the image, as PyTorch and Keras models carry it, with the std computed by a Div of constants.
        var m = new ImageModels();
        string std = m.Node("Div", "std", new[] { m.Builder.AddFloat("one", new long[] { 1, 3, 1, 1 }, new float[] { 1, 1, 1 }), m.Builder.AddFloat("inv_std", new long[] { 1, 3, 1, 1 }, new float[] { 4, 4.5f, 5 }) });
        string x = m.Node("Sub", "center", new[] { m.Input, m.Builder.AddFloat("mean", new long[] { 3, 1, 1 }, new float[] { 0.485f, 0.456f, 0.406f }) });
        x = m.Node("Div", "normalize", new[] { x, std });
        x = m.Node("Relu", "relu", new[] { m.Conv(x, "conv", C, 6) });
        // A scalar Mul after a ReLU has nothing to fold into.
        x = m.Node("Mul", "half", new[] { x, m.Builder.AddInitializer(OnnxTensors.FloatScalar("h", 0.5f)) });

        NetworkGraph imported = ImageModels.ImportAndCompare(m.Finish(x, Width));

        CollectionAssert.AreEqual(new[] { "ScaleShift", "Conv2d", "ReLU", "ScaleShift", "Flatten", "Linear" }, imported.Layers.Select(l => l.Kind).ToArray());
        CollectionAssert.AreEqual(new[] { 3 }, imported.Layers[0].Parameters["weight"].Shape);
    }

    [TestMethod]
    public void ConstantsThroughDequantizeLinearAreRead()
    {
        var m = new ImageModels();
        string x = m.Node("Relu", "relu", new[] { m.Conv(m.Input, "conv", C, 6) });
        string scale = m.Node("DequantizeLinear", "scale_dq", new[]
        {
            m.Builder.AddInt8("scale_q", new long[] { 6, 1, 1 }, new sbyte[] { 10, -20, 30, 40, -50, 60 }),
            m.Builder.AddInitializer(OnnxTensors.FloatScalar("scale_step", 0.02f)),
        });
        x = m.Node("Mul", "gain", new[] { x, scale });

        NetworkGraph imported = ImageModels.ImportAndCompare(m.Finish(x, Width));

        Assert.AreEqual("ScaleShift", imported.Layers[2].Kind);
    }

    [TestMethod]
    public void ConstantDividedByATensorIsRefusedByName()
    {
        var m = new ImageModels();
        string x = m.Node("Relu", "relu", new[] { m.Conv(m.Input, "conv", C, 6) });
        x = m.Node("Div", "reciprocal", new[] { m.Builder.AddInitializer(OnnxTensors.FloatScalar("one", 1f)), x });

        var e = Assert.ThrowsExactly<NotSupportedException>(() => OnnxImporter.Import(m.Finish(x, Width)));

        StringAssert.Contains(e.Message, "Div node 'reciprocal'");
        StringAssert.Contains(e.Message, "c / x");
    }

    [TestMethod]
    public void ConstantVaryingAlongTheWidthIsRefusedByName()
    {
        // A [C] constant against [N,C,H,W] broadcasts along the width in ONNX, not along the channels.
        var m = new ImageModels();
        string x = m.Node("Add", "by_column", new[] { m.Conv(m.Input, "conv", C, 8), m.Constant("columns", 8) });

        var e = Assert.ThrowsExactly<NotSupportedException>(() => OnnxImporter.Import(m.Finish(x, 8 * 8 * 8)));

        StringAssert.Contains(e.Message, "Add node 'by_column'");
        StringAssert.Contains(e.Message, "one value per channel");
    }

    [TestMethod]
    [DataRow(new long[] { 0, 1, 0, 0, 0, 1, 0, 0 }, "batch or channel")]
    [DataRow(new long[] { 1, 0, 0, 0, 0, 0, 0, 0 }, "batch or channel")]
    [DataRow(new long[] { 0, 0, -1, 0, 0, 0, 0, 0 }, "negative")]
    public void PadsTheIrCannotExpressAreRefusedByName(long[] pads, string reason)
    {
        var m = new ImageModels();
        string x = m.Node("Pad", "channel_pad", new[] { m.Conv(m.Input, "conv", C, 6), m.Builder.AddInt64("pads", new long[] { 8 }, pads) });

        var e = Assert.ThrowsExactly<NotSupportedException>(() => OnnxImporter.Import(m.Finish(x, Width)));

        StringAssert.Contains(e.Message, "Pad node 'channel_pad'");
        StringAssert.Contains(e.Message, reason);
    }

    [TestMethod]
    public void PadModeWrapIsRefusedByName()
    {
        var m = new ImageModels(19);
        string x = m.Node("Pad", "wrap", new[] { m.Conv(m.Input, "conv", C, 6), m.Builder.AddInt64("pads", new long[] { 8 }, new long[] { 0, 0, 1, 1, 0, 0, 1, 1 }) },
            OnnxAttributes.String("mode", "wrap"));

        var e = Assert.ThrowsExactly<NotSupportedException>(() => OnnxImporter.Import(m.Finish(x, 6 * 10 * 10)));

        StringAssert.Contains(e.Message, "Pad node 'wrap'");
        StringAssert.Contains(e.Message, "mode 'wrap'");
    }

    [TestMethod]
    public void MulOfMismatchedTensorsIsRefusedByName()
    {
        var m = new ImageModels();
        string x = m.Conv(m.Input, "conv", C, 6);
        string rows = m.Node("GlobalAveragePool", "pool", new[] { m.Conv(m.Input, "other", C, 3) }); // [N,3,1,1] against [N,6,8,8]
        x = m.Node("Mul", "odd_gate", new[] { x, rows });

        var e = Assert.ThrowsExactly<NotSupportedException>(() => OnnxImporter.Import(m.Finish(x, Width)));

        StringAssert.Contains(e.Message, "Mul node 'odd_gate'");
    }

    /// <summary>conv -> relu -> [GAP -> conv -> relu -> conv -> HardSigmoid] -> Mul with the main branch, as MobileNetV3 writes it.</summary>
    internal static byte[] SqueezeExcite()
    {
        var m = new ImageModels();
        string x = m.Node("Relu", "relu", new[] { m.Conv(m.Input, "conv", C, 6) });
        string s = m.Node("GlobalAveragePool", "se_pool", new[] { x });
        s = m.Node("Relu", "se_relu", new[] { m.Conv(s, "se_reduce", 6, 4, k: 1) });
        s = m.Node("HardSigmoid", "se_gate", new[] { m.Conv(s, "se_expand", 4, 6, k: 1) }, OnnxAttributes.Float("alpha", TorchAlpha));
        x = m.Node("Mul", "se_scale", new[] { x, s });
        x = m.Node("Relu", "out_relu", new[] { m.Conv(x, "conv2", 6, 6) });
        return m.Finish(x, Width);
    }
}
