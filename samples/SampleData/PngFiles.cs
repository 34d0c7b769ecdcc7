using System;
using System.IO;
using SkiaSharp;

namespace SampleData;

/// <summary>Writes PNG files (through SkiaSharp, the decoder ML.NET's LoadImages uses) for samples and tests that need real image files.</summary>
public static class PngFiles
{
    /// <summary>Writes a <paramref name="width"/> x <paramref name="height"/> image of one gray channel (row-major bytes).</summary>
    public static void WriteGray(string path, int width, int height, ReadOnlySpan<byte> pixels)
    {
        CheckLength(pixels.Length, width * height, path);
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque));
        Fill(bitmap, pixels.ToArray(), width);
        Save(bitmap, path);
    }

    /// <summary>Writes an RGB image from planar bytes ([3,H,W]: all red, then green, then blue).</summary>
    public static void WriteRgb(string path, int width, int height, ReadOnlySpan<byte> planar)
    {
        int plane = width * height;
        CheckLength(planar.Length, 3 * plane, path);
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        var rgba = new byte[4 * plane];
        for (int i = 0; i < plane; i++)
        {
            rgba[4 * i] = planar[i];
            rgba[4 * i + 1] = planar[plane + i];
            rgba[4 * i + 2] = planar[2 * plane + i];
            rgba[4 * i + 3] = 255;
        }
        Fill(bitmap, rgba, 4 * width);
        Save(bitmap, path);
    }

    // Rows of a bitmap may be padded: copy row by row at its stride.
    private static void Fill(SKBitmap bitmap, byte[] pixels, int rowBytes)
    {
        IntPtr start = bitmap.GetPixels();
        for (int y = 0; y < bitmap.Height; y++)
            System.Runtime.InteropServices.Marshal.Copy(pixels, y * rowBytes, start + y * bitmap.RowBytes, rowBytes);
    }

    private static void Save(SKBitmap bitmap, string path)
    {
        using SKData data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        // Written beside the target and renamed, so an interrupted run never leaves a truncated PNG behind.
        string partial = path + ".partial";
        using (var file = File.Create(partial)) data.SaveTo(file);
        File.Move(partial, path, overwrite: true);
    }

    private static void CheckLength(int actual, int expected, string path)
    {
        if (actual != expected)
            throw new ArgumentException($"'{path}': expected {expected} pixel bytes, got {actual}.");
    }
}
