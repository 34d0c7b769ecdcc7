using System.IO;
using Google.Protobuf;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Onnx.Proto;

namespace Microsoft.ML.Compression.Onnx.Import;

/// <summary>
/// Reads an ONNX model back into a <see cref="NetworkGraph"/> with all parameters set, computing in float what the
/// file computes: QuantizeLinear/DequantizeLinear pairs on activations become identities (activation quantization
/// is dropped) and weights stored quantized or packed (int8, INT4, INT2, 1-bit) are folded to the float values ONNX
/// Runtime computes from them. The logits are the tensor behind the "Logits" output (or the input of a final Softmax);
/// Softmax and ArgMax heads are not layers.
/// </summary>
/// <remarks>
/// Reads the three forms <see cref="OnnxExporter"/> writes (fp32, int8 QDQ, sub-byte weights) and other models built
/// from the same operators; <see cref="SupportedOpTypes"/> lists them.
/// </remarks>
public static class OnnxImporter
{
    /// <summary>The oldest ai.onnx opset the importer reads.</summary>
    public const int MinimumOpset = 7;

    /// <summary>The newest ai.onnx opset the importer reads (the newest <see cref="OnnxExporter"/> writes).</summary>
    public const int MaximumOpset = 26;

    /// <summary>The op types (default ai.onnx domain) the importer converts to layers or folds as constants.</summary>
    public static IReadOnlyList<string> SupportedOpTypes => OpRegistry.SupportedOpTypes;

    /// <summary>Imports a model from its bytes.</summary>
    /// <param name="model">The serialized ModelProto.</param>
    /// <exception cref="InvalidDataException">The bytes are not an ONNX model, or the model is malformed.</exception>
    /// <exception cref="NotSupportedException">
    /// The model uses an op, an attribute value or a layout the network IR cannot express; the message names the op
    /// type and the node (and, for an unknown op, the supported op types). Nothing is returned in that case. Also
    /// thrown for a default-domain opset outside <see cref="MinimumOpset"/> to <see cref="MaximumOpset"/>.
    /// </exception>
    public static NetworkGraph Import(byte[] model)
    {
        ArgumentNullException.ThrowIfNull(model);
        ModelProto proto;
        try
        {
            proto = ModelProto.Parser.ParseFrom(model);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException("The bytes are not a valid ONNX model: " + e.Message, e);
        }
        return Import(proto);
    }

    /// <summary>Imports a model already parsed (by a caller that checked or inspected it first).</summary>
    internal static NetworkGraph Import(ModelProto model) => new OnnxGraphImport(model).Run();

    /// <summary>Imports the model stored in the file <paramref name="path"/>.</summary>
    /// <param name="path">An .onnx file with its weights embedded.</param>
    /// <exception cref="InvalidDataException">The file is not an ONNX model, or the model is malformed.</exception>
    /// <exception cref="NotSupportedException">The model uses something the network IR cannot express (see <see cref="Import(byte[])"/>).</exception>
    public static NetworkGraph Import(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return Import(File.ReadAllBytes(path));
    }
}
