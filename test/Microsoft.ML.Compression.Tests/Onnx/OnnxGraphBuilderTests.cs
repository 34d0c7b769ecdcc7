using System;
using System.Linq;
using Google.Protobuf;
using Microsoft.ML.Compression.Onnx;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using DataType = Microsoft.ML.Compression.Onnx.Proto.TensorProto.Types.DataType;

namespace Microsoft.ML.Compression.Tests.Onnx;

[TestClass]
public sealed class OnnxGraphBuilderTests
{
    [TestMethod]
    public void UniqueName_AppendsSuffixes()
    {
        var b = new OnnxGraphBuilder("g");
        Assert.AreEqual("x", b.UniqueName("x"));
        Assert.AreEqual("x_1", b.UniqueName("x"));
        Assert.AreEqual("x_2", b.AddFloat("x", new long[] { 1 }, new[] { 1f }));
        Assert.ThrowsExactly<InvalidOperationException>(() => b.Reserve("x_1"));
    }

    [TestMethod]
    public void ShortNames_CountUpSkipTakenNamesAndLeaveNodesUnnamed()
    {
        var b = new OnnxGraphBuilder("g");
        b.Reserve("c1");
        Assert.AreEqual("c0", b.AddShortInitializer(OnnxTensors.FloatScalar("long descriptive name", 1f)));
        Assert.AreEqual("c2", b.AddShortInitializer(OnnxTensors.FloatScalar("s", 2f)), "a taken name is skipped");
        Assert.AreEqual("t3", b.AddShortNode("Mul", new[] { "c0", "c2" }));
        Assert.AreEqual("t4", b.AddShortConstant(OnnxTensors.FloatScalar("k", 3f)));
        Assert.AreEqual("shared", b.Shared("key", () => b.UniqueName("shared")));
        Assert.AreEqual("shared", b.Shared("key", () => throw new InvalidOperationException("added twice")));
        Assert.IsTrue(b.Graph.Node.All(n => n.Name.Length == 0), "short nodes have no name");
        Assert.AreEqual(string.Empty, b.Graph.Node[1].Attribute.Single().T.Name, "a Constant's tensor has no name of its own");
    }

    /// <summary>
    /// The element types and Constant nodes later (quantized) exporters rely on: int8 as a Constant node, uint8 and
    /// int32 initializers, each through DequantizeLinear, summed with the float input; ORT must read them exactly.
    /// </summary>
    [TestMethod]
    public void IntegerTensorsAndConstants_LoadInOrt()
    {
        var b = new OnnxGraphBuilder("dq");
        b.AddInput("X", DataType.Float, OnnxGraphBuilder.BatchDimension, 4);
        string scale = b.AddInitializer(OnnxTensors.FloatScalar("scale", 0.5f));
        string i8 = b.AddConstant(OnnxTensors.Int8("w_i8", new long[] { 4 }, new sbyte[] { -128, -1, 0, 127 }));
        string zpI8 = b.AddConstant(OnnxTensors.Int8("zp_i8", Array.Empty<long>(), new sbyte[] { 0 }));
        string u8 = b.AddUInt8("w_u8", new long[] { 4 }, new byte[] { 0, 10, 128, 255 });
        string zpU8 = b.AddUInt8("zp_u8", Array.Empty<long>(), new byte[] { 128 });
        string i32 = b.AddInt32("w_i32", new long[] { 4 }, new[] { -100000, 3, 0, 100000 });
        string dq1 = b.AddNode("DequantizeLinear", new[] { i8, scale, zpI8 }, "dq_i8");
        string dq2 = b.AddNode("DequantizeLinear", new[] { u8, scale, zpU8 }, "dq_u8");
        string dq3 = b.AddNode("DequantizeLinear", new[] { i32, scale }, "dq_i32");
        string s1 = b.AddNode("Add", new[] { "X", dq1 }, "s1");
        string s2 = b.AddNode("Add", new[] { s1, dq2 }, "s2");
        b.Reserve("Y");
        b.AddNode("Add", new[] { s2, dq3 }, new[] { "Y" }, "y");
        b.AddOutput("Y", DataType.Float, OnnxGraphBuilder.BatchDimension, 4);
        b.SetMetadata("k", "v1");
        b.SetMetadata("k", "v2");
        byte[] model = b.ToModel(13, "test", "1").ToByteArray();

        Assert.AreEqual("v2", OnnxModelInfo.Read(model).Metadata["k"]);
        float[] y = OrtRunner.RunSingle(model, "X", new float[] { 1, 1, 1, 1 }, new[] { 1, 4 });
        float[] expected = { 1 + 0.5f * (-128 - 128 - 100000), 1 + 0.5f * (-1 + 10 - 128 + 3), 1 + 0.5f * (0 + 0), 1 + 0.5f * (127 + 127 + 100000) };
        CollectionAssert.AreEqual(expected, y);
    }

    [TestMethod]
    public void IrVersion_FollowsOpset()
    {
        Assert.AreEqual(7L, OnnxGraphBuilder.IrVersionForOpset(13));
        Assert.AreEqual(10L, OnnxGraphBuilder.IrVersionForOpset(21));
        Assert.AreEqual(13L, OnnxGraphBuilder.IrVersionForOpset(25));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => OnnxGraphBuilder.IrVersionForOpset(27));
    }
}
