using System.IO;
using Microsoft.ML.Data;
using SkiaSharp;

namespace Microsoft.ML.Compression.Datasets;

/// <summary>Whether one file reads as an image, and if not, why (a line a user can act on).</summary>
internal static class ImageFileCheck
{
    /// <summary>The verdict: <paramref name="Problem"/> null when the file is usable; <paramref name="Grayscale"/> when it stores one gray channel.</summary>
    public readonly record struct Result(string? Problem, bool Grayscale);

    public static Result Check(string path, ImageValidation validation)
    {
        try
        {
            var info = new FileInfo(path);
            if (info.Length == 0) return new("the file is empty (0 bytes)", false);
            if (validation == ImageValidation.None) return new(null, false);
            // SkiaSharp is the decoder ML.NET's LoadImages uses; its codec reads the header only.
            using (SKCodec? codec = SKCodec.Create(path))
            {
                if (codec is null) return new("it is not an image ML.NET can decode (PNG, JPEG, BMP, GIF or WebP)", false);
                if (codec.Info.Width <= 0 || codec.Info.Height <= 0) return new($"its header states a {codec.Info.Width}x{codec.Info.Height} image", false);
                bool gray = codec.Info.ColorType == SKColorType.Gray8;
                if (validation == ImageValidation.Header) return new(null, gray);
                using MLImage image = MLImage.CreateFromFile(path);
                return new(null, gray);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new($"it cannot be read ({e.Message})", false);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or NotSupportedException)
        {
            return new($"ML.NET cannot decode it ({e.Message})", false);
        }
    }
}
