using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;

namespace Microsoft.ML.Compression.Cli.Data;

/// <summary>
/// MNIST-style IDX files (optionally gzip-compressed): an images file (magic 0x00000803, count, rows, cols, one byte
/// per pixel) and a labels file (magic 0x00000801, count, one byte per label). The library's MnistIdx reads a pair;
/// calibration needs the images alone, so the tool reads them itself, as raw bytes.
/// </summary>
public static class IdxFile
{
    /// <summary>True when <paramref name="path"/> starts with an IDX magic number (plain or gzip-compressed).</summary>
    public static bool LooksLikeIdx(string path)
    {
        try
        {
            using Stream s = Open(path);
            Span<byte> magic = stackalloc byte[4];
            return s.ReadAtLeast(magic, 4, throwOnEndOfStream: false) == 4 && magic[0] == 0 && magic[1] == 0 && magic[2] == 8 && magic[3] is 1 or 3;
        }
        catch (InvalidDataException)
        {
            return false;
        }
    }

    /// <summary>Reads the images of an IDX3 file: count, rows, cols and all pixels, row-major per image.</summary>
    public static (int Count, int Rows, int Cols, byte[] Pixels) ReadImages(string path)
    {
        using Stream s = Open(path);
        int magic = ReadInt(s, path);
        if (magic != 0x803) throw CliException.BadData($"'{path}' is not an IDX images file: magic 0x{magic:X8}, expected 0x00000803.");
        int count = ReadInt(s, path), rows = ReadInt(s, path), cols = ReadInt(s, path);
        if (count < 0 || rows <= 0 || cols <= 0 || (long)count * rows * cols > Array.MaxLength)
            throw CliException.BadData($"'{path}' has an invalid IDX header: {count} images of {rows}x{cols}.");
        var pixels = new byte[count * rows * cols];
        Fill(s, pixels, path);
        return (count, rows, cols, pixels);
    }

    /// <summary>Reads the labels of an IDX1 file.</summary>
    public static byte[] ReadLabels(string path)
    {
        using Stream s = Open(path);
        int magic = ReadInt(s, path);
        if (magic != 0x801) throw CliException.BadData($"'{path}' is not an IDX labels file: magic 0x{magic:X8}, expected 0x00000801.");
        int count = ReadInt(s, path);
        if (count < 0) throw CliException.BadData($"'{path}' has an invalid IDX header: {count} labels.");
        var labels = new byte[count];
        Fill(s, labels, path);
        return labels;
    }

    private static Stream Open(string path)
    {
        Stream file = File.OpenRead(path);
        return path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : file;
    }

    private static int ReadInt(Stream s, string path)
    {
        Span<byte> b = stackalloc byte[4];
        if (s.ReadAtLeast(b, 4, throwOnEndOfStream: false) != 4) throw CliException.BadData($"'{path}' ends inside its IDX header.");
        return BinaryPrimitives.ReadInt32BigEndian(b);
    }

    private static void Fill(Stream s, byte[] buffer, string path)
    {
        if (s.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false) != buffer.Length)
            throw CliException.BadData($"'{path}' ends before the {buffer.Length:N0} bytes its IDX header announces.");
    }
}
