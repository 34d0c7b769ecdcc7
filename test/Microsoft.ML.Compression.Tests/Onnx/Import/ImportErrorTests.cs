using System;
using System.IO;
using System.Text;
using Google.Protobuf;
using Microsoft.ML.Compression.Onnx;
using Microsoft.ML.Compression.Onnx.Import;
using Microsoft.ML.Compression.Onnx.Proto;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using DataType = Microsoft.ML.Compression.Onnx.Proto.TensorProto.Types.DataType;

namespace Microsoft.ML.Compression.Tests.Onnx.Import;

/// <summary>What the importer refuses, and how it says so.</summary>
[TestClass]
public sealed class ImportErrorTests
{
    [TestMethod]
    public void GarbageBytesAreInvalidData()
    {
        Assert.ThrowsExactly<InvalidDataException>(() => OnnxImporter.Import(Encoding.ASCII.GetBytes("this is not an ONNX model")));
        Assert.ThrowsExactly<InvalidDataException>(() => OnnxImporter.Import(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0x0F }));
        Assert.ThrowsExactly<InvalidDataException>(() => OnnxImporter.Import(Array.Empty<byte>()), "no graph");
    }

    [TestMethod]
    public void UnknownOpIsNamedWithItsNodeAndTheSupportedOps()
    {
        byte[] model = TinyModels.Classifier((b, image) => b.AddNode("Erf", new[] { image }, "my_erf"));

        var e = Assert.ThrowsExactly<NotSupportedException>(() => OnnxImporter.Import(model));

        StringAssert.Contains(e.Message, "'Erf'");
        StringAssert.Contains(e.Message, "'my_erf'");
        StringAssert.Contains(e.Message, "Supported op types: " + string.Join(", ", OnnxImporter.SupportedOpTypes));
        StringAssert.Contains(e.Message, "Conv");
    }

    [TestMethod]
    public void ConvWithADimensionOfThreeIsRefusedByName()
    {
        byte[] model = TinyModels.Classifier((b, image) => TinyModels.Conv(b, image, "odd_window", OnnxAttributes.Ints("strides", 1, 1, 1)));

        var e = Assert.ThrowsExactly<System.IO.InvalidDataException>(() => OnnxImporter.Import(model));

        StringAssert.Contains(e.Message, "Conv node 'odd_window'");
        StringAssert.Contains(e.Message, "strides [1,1,1]");
    }

    [TestMethod]
    public void QuantizedActivationReadByAnOpOtherThanDequantizeLinearIsRefused()
    {
        byte[] model = TinyModels.Classifier((b, image) =>
        {
            string scale = b.AddInitializer(OnnxTensors.FloatScalar("scale", 0.1f));
            string zeroPoint = b.AddUInt8("zero_point", Array.Empty<long>(), new byte[] { 128 });
            string q = b.AddNode("QuantizeLinear", new[] { image, scale, zeroPoint }, "q");
            return b.AddNode("Relu", new[] { q }, "relu_on_uint8");
        });

        var e = Assert.ThrowsExactly<NotSupportedException>(() => OnnxImporter.Import(model));

        StringAssert.Contains(e.Message, "Relu node 'relu_on_uint8'");
        StringAssert.Contains(e.Message, "QuantizeLinear");
    }

    [TestMethod]
    public void ImageShapeContradictingTheInputIsInvalidData()
    {
        ModelProto model = ModelProto.Parser.ParseFrom(TinyModels.Classifier((b, image) => image));
        model.MetadataProps.Add(new StringStringEntryProto { Key = OnnxMetadataKeys.InputShape, Value = "1,28,28" });

        var e = Assert.ThrowsExactly<InvalidDataException>(() => OnnxImporter.Import(model.ToByteArray()));

        StringAssert.Contains(e.Message, "[1,28,28]");
        StringAssert.Contains(e.Message, "16 values");
    }

    [TestMethod]
    public void MissingTensorIsInvalidData()
    {
        byte[] model = TinyModels.Classifier((b, image) => b.AddNode("Relu", new[] { "nowhere" }, "dangling"));

        var e = Assert.ThrowsExactly<InvalidDataException>(() => OnnxImporter.Import(model));

        StringAssert.Contains(e.Message, "'dangling'");
        StringAssert.Contains(e.Message, "'nowhere'");
    }
}
