using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;

namespace Microsoft.ML.Compression.Tests.Fixtures;

/// <summary>The committed ONNX files of Fixtures/Onnx and what fixtures.json says of each (data set, normalization, accuracy).</summary>
internal static class OnnxFixtures
{
    /// <summary>One fixture: its file, the data set it was trained on, the normalization its input expects, PyTorch's test accuracy (%).</summary>
    public sealed record Fixture(string Name, string Path, string Dataset, float Mean, float Std, string Layout, double PyTorchAccuracy);

    private static readonly Lazy<Dictionary<string, Fixture>> All = new(Load);

    public static string Folder => System.IO.Path.Combine(AppContext.BaseDirectory, "Fixtures", "Onnx");

    public static IReadOnlyCollection<string> Names => All.Value.Keys;

    public static Fixture Get(string name) => All.Value[name];

    public static IEnumerable<object[]> NameRows => Names.Select(n => new object[] { n });

    private static Dictionary<string, Fixture> Load()
    {
        using JsonDocument manifest = JsonDocument.Parse(File.ReadAllText(System.IO.Path.Combine(Folder, "fixtures.json")));
        return manifest.RootElement.GetProperty("fixtures").EnumerateArray().Select(f => new Fixture(
            f.GetProperty("name").GetString()!,
            System.IO.Path.Combine(Folder, f.GetProperty("file").GetString()!),
            f.GetProperty("dataset").GetString()!,
            f.GetProperty("mean").GetSingle(),
            f.GetProperty("std").GetSingle(),
            f.GetProperty("layout").GetString()!,
            f.GetProperty("pytorch_test_accuracy").GetDouble())).ToDictionary(f => f.Name);
    }
}
