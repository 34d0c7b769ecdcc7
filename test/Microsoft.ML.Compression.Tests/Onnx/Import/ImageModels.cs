using System;
using System.Linq;
using Google.Protobuf;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Onnx;
using Microsoft.ML.Compression.Onnx.Import;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using DataType = Microsoft.ML.Compression.Onnx.Proto.TensorProto.Types.DataType;

namespace Microsoft.ML.Compression.Tests.Onnx.Import;

/// <summary>
/// Hand-built models shaped like exporters' classifiers: a [N,3,8,8] "input", a body under test, Flatten and a Gemm
/// with seeded random weights, so that imported logits can be checked against ONNX Runtime's on the original.
/// </summary>
internal sealed class ImageModels
{
    public const int Channels = 3, Size = 8, Classes = 3, Rows = 4;
    private readonly Random _random = new(5);

    public ImageModels(int opset = 13)
    {
        Opset = opset;
        Builder = new OnnxGraphBuilder("image");
        Builder.AddInput("input", DataType.Float, OnnxGraphBuilder.BatchDimension, Channels, Size, Size);
        Builder.Reserve("output");
    }

    public int Opset { get; }
    public OnnxGraphBuilder Builder { get; }
    public string Input => "input";

    /// <summary>Seeded values in [-bound, bound].</summary>
    public float[] Random(int count, double bound = 0.5) =>
        Enumerable.Range(0, count).Select(_ => (float)((_random.NextDouble() * 2 - 1) * bound)).ToArray();

    /// <summary>A float initializer of <paramref name="dims"/> with seeded random values.</summary>
    public string Constant(string name, params long[] dims) => Builder.AddFloat(name, dims, Random((int)dims.Aggregate(1L, (a, d) => a * d)));

    /// <summary>A k x k Conv with padding (k-1)/2 and random weights (and bias).</summary>
    public string Conv(string x, string name, int inChannels, int outChannels, int k = 3, bool bias = true)
    {
        var inputs = new[] { x, Constant($"{name}.weight", outChannels, inChannels, k, k) };
        if (bias) inputs = inputs.Append(Constant($"{name}.bias", outChannels)).ToArray();
        int p = (k - 1) / 2;
        return Builder.AddNode("Conv", inputs, name, OnnxAttributes.Ints("kernel_shape", k, k), OnnxAttributes.Ints("pads", p, p, p, p));
    }

    /// <summary>Any node with one output.</summary>
    public string Node(string op, string name, string[] inputs, params Microsoft.ML.Compression.Onnx.Proto.AttributeProto[] attributes) => Builder.AddNode(op, inputs, name, attributes);

    /// <summary>
    /// Finishes the model: <paramref name="features"/> ([N,...] with <paramref name="width"/> values per row) ->
    /// Flatten -> Gemm "fc" -> <paramref name="tail"/> (applied to the Gemm's output, e.g. an Add of a constant) -> "output".
    /// </summary>
    public byte[] Finish(string features, int width, Func<string, string>? tail = null)
    {
        string flat = Builder.AddNode("Flatten", new[] { features }, "flatten", OnnxAttributes.Int("axis", 1));
        string logits = Builder.AddNode("Gemm", new[] { flat, Constant("fc.weight", Classes, width), Constant("fc.bias", Classes) }, "fc",
            OnnxAttributes.Int("transB", 1));
        logits = tail?.Invoke(logits) ?? logits;
        Builder.AddNode("Identity", new[] { logits }, new[] { "output" }, "output");
        Builder.AddOutput("output", DataType.Float, OnnxGraphBuilder.BatchDimension, Classes);
        // The builder pairs opsets from 13 with their IR version; older opsets keep IR 7, which ONNX Runtime reads with them.
        var model = Builder.ToModel(Math.Max(Opset, 13), "test", "1");
        model.OpsetImport[0].Version = Opset;
        return model.ToByteArray();
    }

    /// <summary>Imports <paramref name="model"/> and asserts it scores like ONNX Runtime on the original within 1e-4.</summary>
    public static NetworkGraph ImportAndCompare(byte[] model)
    {
        NetworkGraph imported = OnnxImporter.Import(model);
        float[] inputs = TestWeights.RandomInputs(Rows, Channels * Size * Size, seed: 17);
        float[] ort = OrtRunner.RunSingle(model, "input", inputs, new[] { Rows, Channels, Size, Size });
        float diff = TorchLogits.MaxAbsDifference(ort, TorchLogits.Of(imported, inputs, Rows));
        Assert.IsTrue(diff <= 1e-4f, $"max |logit difference| vs ONNX Runtime: {diff}");
        return imported;
    }
}
