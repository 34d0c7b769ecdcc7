using System.IO;
using Google.Protobuf;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Onnx.Proto;

namespace Microsoft.ML.Compression.Onnx.Import;

/// <summary>
/// Reads ONNX files for the public entry points (<see cref="NetworkGraph.FromOnnx(string)"/>, <see cref="StartingPoint.FromOnnx"/>,
/// <c>ImportOnnx</c>, <see cref="OnnxImport.Inspect(string)"/>): every error names the file it is about.
/// </summary>
internal static class OnnxFile
{
    /// <summary>The bytes of <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    public static byte[] ReadBytes(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"No ONNX model file at '{path}'.", path);
        return File.ReadAllBytes(path);
    }

    /// <summary>The bytes of <paramref name="stream"/> from its position to its end.</summary>
    public static byte[] ReadBytes(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    /// <summary>True when the bytes start like a zip archive (an ML.NET model).</summary>
    public static bool IsZip(byte[] bytes) => bytes.Length >= 4 && bytes[0] == (byte)'P' && bytes[1] == (byte)'K' && bytes[2] == 3 && bytes[3] == 4;

    /// <summary>
    /// Parses the ModelProto in <paramref name="bytes"/>, read from <paramref name="source"/> (e.g. "'model.onnx'").
    /// Protobuf parses many byte strings without error, so a model without a graph or without an opset is refused too.
    /// </summary>
    /// <exception cref="InvalidDataException">The bytes are not an ONNX model; the message names the source.</exception>
    public static ModelProto Parse(byte[] bytes, string source)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (IsZip(bytes))
            throw new InvalidDataException(
                $"{source} is a zip archive (an ML.NET model?), not an ONNX model; a model this library saved with mlContext.Model.Save starts a compression step through StartingPoint.FromFile.");
        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"{source} is not an ONNX model: {e.Message}", e);
        }
        if (model.Graph is null || model.OpsetImport.Count == 0)
            throw new InvalidDataException($"{source} is not an ONNX model: it has {(model.Graph is null ? "no graph" : "no opset_import")}.");
        return model;
    }

    /// <summary>Imports the model in the file <paramref name="path"/>; errors name the file.</summary>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="InvalidDataException">The file is not an ONNX model, or the model is malformed.</exception>
    /// <exception cref="NotSupportedException">The model uses an op or a form the network IR cannot express (the message names the op, the node and the supported ops).</exception>
    public static NetworkGraph Import(string path) => Import(ReadBytes(path), $"'{path}'");

    /// <summary>Imports the model in <paramref name="bytes"/>, read from <paramref name="source"/>; errors name the source.</summary>
    public static NetworkGraph Import(byte[] bytes, string source)
    {
        ModelProto model = Parse(bytes, source);
        try
        {
            return OnnxImporter.Import(model);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"Cannot import {source}: {e.Message}", e);
        }
        catch (NotSupportedException e)
        {
            throw new NotSupportedException($"Cannot import {source}: {e.Message}", e);
        }
    }
}
