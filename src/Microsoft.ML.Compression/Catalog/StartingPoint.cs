using System.IO;
using System.IO.Compression;
using Microsoft.ML.Compression.Estimators;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Onnx.Import;

namespace Microsoft.ML.Compression;

/// <summary>
/// The trained model a compression method starts from: a fitted transformer of this library (from <c>Train</c> or any
/// compression step) or a <see cref="NetworkGraph"/> whose weights are set, which both convert implicitly; or a model
/// this library saved and ML.NET loaded back (<see cref="FromModel"/>), or its file (<see cref="FromFile"/>).
/// </summary>
public sealed class StartingPoint
{
    private const string OnnxEntry = "OnnxModel"; // where ML.NET's OnnxTransformer stores its model in a saved pipeline

    private StartingPoint(NetworkGraph network, string source)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (network.FirstMissingParameter() is (Layer layer, string parameter))
            throw new ArgumentException(
                $"Network '{network.Name}' ({source}) has no trained weights ('{layer.Name}.{parameter}' is not set); train it first, e.g. with mlContext.Transforms.Compression.Train.",
                "startFrom");
        Network = network;
    }

    /// <summary>
    /// The trained network: float weights with BatchNorm unfolded for a model fitted in this process; for a model read
    /// back from a file, the network the file computes (an int8 model's BatchNorms stay folded into its convolutions).
    /// </summary>
    public NetworkGraph Network { get; }

    /// <summary>Starts from a fitted model of this library.</summary>
    public static implicit operator StartingPoint(CompressedModelTransformer model)
    {
        ArgumentNullException.ThrowIfNull(model, "startFrom");
        return new StartingPoint(model.Network, $"from a {model.Report.Method} model");
    }

    /// <summary>Starts from a network with weights.</summary>
    public static implicit operator StartingPoint(NetworkGraph network)
    {
        ArgumentNullException.ThrowIfNull(network, "startFrom");
        return new StartingPoint(network, "a network graph");
    }

    /// <summary>
    /// Starts from a fitted model: one of this library's, or the ML.NET pipeline <c>mlContext.Model.Load</c> returns for
    /// a model this library saved (its ONNX model is read back into a network).
    /// </summary>
    /// <exception cref="ArgumentException">The model holds no ONNX model of this library, or more than one.</exception>
    public static StartingPoint FromModel(ITransformer model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model is CompressedModelTransformer compressed) return compressed;
        using var zip = new MemoryStream();
        new MLContext().Model.Save(model, null, zip);
        return FromSavedPipeline(zip.ToArray(), $"the {model.GetType().Name} given");
    }

    /// <summary>Starts from a file this library wrote: an ONNX model (<c>SaveOnnx</c>) or an ML.NET model zip (<c>mlContext.Model.Save</c>).</summary>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="ArgumentException">The file is neither, or its ONNX model cannot be read back.</exception>
    public static StartingPoint FromFile(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"No model file at '{path}'.", path);
        byte[] bytes = File.ReadAllBytes(path);
        bool zip = bytes.Length >= 4 && bytes[0] == (byte)'P' && bytes[1] == (byte)'K';
        return zip ? FromSavedPipeline(bytes, $"'{path}'") : new StartingPoint(Import(bytes, $"'{path}'"), $"read from '{path}'");
    }

    /// <summary>
    /// Starts from the ONNX classifier in <paramref name="path"/>: one exported by PyTorch, Keras/TensorFlow, this
    /// library or others (see <see cref="NetworkGraph.FromOnnx(string)"/> for what is read and
    /// <see cref="Onnx.Import.OnnxImport.Inspect(string)"/> to check a file first). <see cref="FromFile"/> reads .onnx
    /// files too; this is the explicit form, which refuses anything but ONNX.
    /// </summary>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="ArgumentException">
    /// The file is not an ONNX model (an ML.NET zip included), or it uses an op the network cannot express; the message
    /// names the file and, for an op, its type, its node and the supported op types. The inner exception is the
    /// importer's <see cref="InvalidDataException"/> or <see cref="NotSupportedException"/>.
    /// </exception>
    public static StartingPoint FromOnnx(string path)
    {
        byte[] bytes = OnnxFile.ReadBytes(path);
        NetworkGraph network;
        try
        {
            network = OnnxFile.Import(bytes, $"'{path}'");
        }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException)
        {
            throw new ArgumentException(e.Message, "startFrom", e);
        }
        return new StartingPoint(network, $"read from '{path}'");
    }

    private static StartingPoint FromSavedPipeline(byte[] zip, string source)
    {
        byte[] onnx;
        try
        {
            using var archive = new ZipArchive(new MemoryStream(zip), ZipArchiveMode.Read);
            var entries = archive.Entries.Where(e => e.Name == OnnxEntry).ToList();
            if (entries.Count != 1)
                throw new ArgumentException(
                    $"{source} holds {entries.Count} ONNX models; a compression step starts from a pipeline with exactly one (as this library saves them).", "startFrom");
            // OnnxTransformer stores its model as a length-prefixed byte array.
            using var reader = new BinaryReader(entries[0].Open());
            int length = reader.ReadInt32();
            onnx = reader.ReadBytes(length);
            if (onnx.Length != length) throw new InvalidDataException($"The ONNX model in {source} is cut short ({onnx.Length} of {length} bytes).");
        }
        catch (InvalidDataException e)
        {
            throw new ArgumentException($"{source} is not an ML.NET model zip: {e.Message}", "startFrom", e);
        }
        return new StartingPoint(Import(onnx, source), $"read from {source}");
    }

    private static NetworkGraph Import(byte[] onnx, string source)
    {
        try
        {
            return OnnxImporter.Import(onnx);
        }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException)
        {
            throw new ArgumentException($"The ONNX model in {source} cannot be read back into a network: {e.Message}", "startFrom", e);
        }
    }
}
