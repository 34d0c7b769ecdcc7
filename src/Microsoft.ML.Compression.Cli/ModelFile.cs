using System.IO;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Onnx.Import;

namespace Microsoft.ML.Compression.Cli;

/// <summary>Reads the model a verb starts from; every problem with the file is an input-file error (exit code 3) naming it.</summary>
public static class ModelFile
{
    /// <summary>What <see cref="OnnxImport.Inspect(string)"/> reports on <paramref name="path"/>.</summary>
    public static OnnxImportReport Inspect(string path)
    {
        try
        {
            return OnnxImport.Inspect(path);
        }
        catch (FileNotFoundException)
        {
            throw CliException.InputFile($"Model file '{path}' does not exist: give the path of an .onnx file.");
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            throw CliException.InputFile(e is InvalidDataException ? e.Message : $"Cannot read model file '{path}': {e.Message}", e);
        }
    }

    /// <summary>The network in <paramref name="path"/>, imported; an input-file error when it cannot be imported.</summary>
    public static NetworkGraph Import(string path)
    {
        OnnxImportReport report = Inspect(path);
        return report.Network ?? throw CliException.InputFile(
            $"Model file '{path}' cannot be imported: {string.Join(" | ", report.Problems)}");
    }

    /// <summary>The image the network reads; an input-file error for a network whose input is not an image.</summary>
    public static ImageInput ImageInputOf(NetworkGraph network, string path) =>
        ImageInput.Of(network) ?? throw CliException.InputFile(
            $"Model file '{path}' reads a tensor of {Layer.Format(network.InputShape)} per sample; the tool handles image models (input [N,C,H,W] or [N,H,W,C]).");
}
