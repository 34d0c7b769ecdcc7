using System;
using System.Linq;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Data;

namespace Microsoft.ML.Compression.Tests.Zoo;

/// <summary>Seeded random images (pixel values 0..255, as ExtractPixels gives them) with random labels, for networks of any <see cref="ImageInput"/>.</summary>
internal static class RandomImages
{
    /// <summary><paramref name="rows"/> images of <paramref name="input"/>'s size, flattened row-major.</summary>
    public static float[] Pixels(ImageInput input, int rows, int seed)
    {
        var random = new Random(seed);
        var data = new float[rows * input.Size];
        for (int i = 0; i < data.Length; i++) data[i] = random.Next(256);
        return data;
    }

    /// <summary>
    /// The same pixels as an IDataView: Features a [C,H,W] (or [H,W,C]) vector as <paramref name="input"/> declares it,
    /// Label a key of <paramref name="classes"/> values (0-based indices, as LoadFromEnumerable reads them).
    /// </summary>
    public static IDataView DataView(MLContext ml, ImageInput input, int rows, int classes, int seed)
    {
        float[] pixels = Pixels(input, rows, seed);
        var random = new Random(seed + 1);
        var items = Enumerable.Range(0, rows)
            .Select(r => new Row { Features = pixels.AsSpan(r * input.Size, input.Size).ToArray(), Label = (uint)random.Next(classes) })
            .ToArray();
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, input.Shape);
        schema[nameof(Row.Label)].ColumnType = new KeyDataViewType(typeof(uint), classes);
        return ml.Data.LoadFromEnumerable(items, schema);
    }

    private sealed class Row
    {
        public float[] Features { get; set; } = Array.Empty<float>();

        public uint Label { get; set; }
    }
}
