using System;
using Google.Protobuf;
using Microsoft.ML.Compression.Onnx;
using Microsoft.ML.Compression.Onnx.Proto;
using DataType = Microsoft.ML.Compression.Onnx.Proto.TensorProto.Types.DataType;

namespace Microsoft.ML.Compression.Tests.Onnx.Import;

/// <summary>Small hand-built models around one node under test.</summary>
internal static class TinyModels
{
    /// <summary>
    /// Features [N,16] -> Reshape [N,1,4,4] -> <paramref name="body"/> (which returns a [N,C,H,W] tensor) -> Flatten ->
    /// Gemm "fc" (transB <paramref name="transB"/>) -> Logits [N,3], at <paramref name="opset"/>.
    /// </summary>
    public static byte[] Classifier(Func<OnnxGraphBuilder, string, string> body, int transB = 1, int opset = 13)
    {
        var b = new OnnxGraphBuilder("tiny");
        b.AddInput("Features", DataType.Float, OnnxGraphBuilder.BatchDimension, 16);
        b.Reserve(OnnxExporter.LogitsOutput);
        string image = b.AddNode("Reshape", new[] { "Features", b.AddInitializer(OnnxTensors.Int64Vector("shape", -1, 1, 4, 4)) }, "image");
        string features = b.AddNode("Flatten", new[] { body(b, image) }, "flatten", OnnxAttributes.Int("axis", 1));
        // The Gemm's width is only known at run time here; a [3, 16] weight suits a body that keeps [1,4,4].
        string weight = b.AddFloat("fc.weight", transB == 1 ? new long[] { 3, 16 } : new long[] { 16, 3 }, new float[48]);
        b.AddNode("Gemm", new[] { features, weight }, new[] { OnnxExporter.LogitsOutput }, "fc", OnnxAttributes.Int("transB", transB));
        b.AddOutput(OnnxExporter.LogitsOutput, DataType.Float, OnnxGraphBuilder.BatchDimension, 3);
        return b.ToModel(opset, "test", "1").ToByteArray();
    }

    /// <summary>A 1 -> 1 channel 2x2 Conv named <paramref name="name"/> with <paramref name="attributes"/>.</summary>
    public static string Conv(OnnxGraphBuilder b, string image, string name, params AttributeProto[] attributes)
    {
        string weight = b.AddFloat($"{name}.weight", new long[] { 1, 1, 2, 2 }, new float[] { 1, 2, 3, 4 });
        return b.AddNode("Conv", new[] { image, weight }, name, attributes);
    }
}
