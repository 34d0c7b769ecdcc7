using System;
using System.IO;

namespace Benchmarks.BigData;

/// <summary>
/// A binary file of labelled uint8 images, written by the big-data benchmark so it has a data set larger than memory
/// (as floats) without downloading one: a header (magic, count, channels, height, width as int32) then, per image,
/// its label byte and its C*H*W planar pixels.
/// </summary>
internal static class SyntheticImageFile
{
    public const int Classes = 10;
    private const long Magic = 0x3130474D49434C4D; // "MLCIMG01"
    private const int HeaderBytes = 8 + 4 * 4;

    /// <summary>The header of <paramref name="path"/>.</summary>
    public static (int Count, int Channels, int Height, int Width) ReadHeader(string path)
    {
        using var reader = new BinaryReader(File.OpenRead(path));
        if (reader.ReadInt64() != Magic) throw new InvalidDataException($"{path} is not a synthetic image file.");
        return (reader.ReadInt32(), reader.ReadInt32(), reader.ReadInt32(), reader.ReadInt32());
    }

    /// <summary>Where image <paramref name="index"/> (its label byte) starts.</summary>
    public static long Offset(long index, int imageBytes) => HeaderBytes + index * (1 + imageBytes);

    /// <summary>
    /// Writes <paramref name="count"/> images: class k is a colored stripe pattern of its own orientation and frequency,
    /// at a random phase, plus uniform noise, so a small network can learn it but not from one pixel.
    /// </summary>
    public static void Write(string path, int count, int channels, int height, int width, int seed)
    {
        int size = channels * height * width;
        var random = new Random(seed);
        // Per class: a direction and frequency for the stripes and a weight per channel (its color).
        var patterns = new (double Fx, double Fy, double[] Color)[Classes];
        for (int k = 0; k < Classes; k++)
        {
            double angle = Math.PI * k / Classes, frequency = 2 + k % 3 * 2;
            var color = new double[channels];
            for (int c = 0; c < channels; c++) color[c] = 0.4 + 0.6 * ((k + c * 3) % 5) / 4.0;
            patterns[k] = (frequency * Math.Cos(angle) / width, frequency * Math.Sin(angle) / height, color);
        }

        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        using var writer = new BinaryWriter(file);
        writer.Write(Magic);
        writer.Write(count);
        writer.Write(channels);
        writer.Write(height);
        writer.Write(width);
        var image = new byte[size];
        ulong noise = (ulong)seed * 0x9E3779B97F4A7C15 + 1;
        for (int n = 0; n < count; n++)
        {
            int label = random.Next(Classes);
            var (fx, fy, color) = patterns[label];
            double phase = random.NextDouble() * 2 * Math.PI;
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                {
                    double wave = Math.Sin(2 * Math.PI * (fx * x + fy * y) + phase);
                    for (int c = 0; c < channels; c++)
                    {
                        // xorshift noise: cheap enough for a billion pixels.
                        noise ^= noise << 13; noise ^= noise >> 7; noise ^= noise << 17;
                        double v = 128 + 90 * color[c] * wave + (int)(noise % 61) - 30;
                        image[(c * height + y) * width + x] = (byte)Math.Clamp(v, 0, 255);
                    }
                }
            writer.Write((byte)label);
            writer.Write(image);
        }
    }
}
