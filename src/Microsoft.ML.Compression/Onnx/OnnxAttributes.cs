using Google.Protobuf;
using Microsoft.ML.Compression.Onnx.Proto;

namespace Microsoft.ML.Compression.Onnx;

/// <summary>Typed <see cref="AttributeProto"/> factories (ONNX requires the attribute's type field to be set).</summary>
internal static class OnnxAttributes
{
    /// <summary>An INT attribute.</summary>
    public static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    /// <summary>An INTS attribute.</summary>
    public static AttributeProto Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    /// <summary>An INTS attribute from <see cref="int"/> values.</summary>
    public static AttributeProto Ints(string name, IEnumerable<int> values) => Ints(name, values.Select(v => (long)v).ToArray());

    /// <summary>A FLOAT attribute.</summary>
    public static AttributeProto Float(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    /// <summary>A FLOATS attribute.</summary>
    public static AttributeProto Floats(string name, params float[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Floats };
        a.Floats.AddRange(values);
        return a;
    }

    /// <summary>A STRING attribute (UTF-8).</summary>
    public static AttributeProto String(string name, string value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    /// <summary>A TENSOR attribute (the "value" of a Constant node).</summary>
    public static AttributeProto Tensor(string name, TensorProto value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Tensor, T = value };
}
