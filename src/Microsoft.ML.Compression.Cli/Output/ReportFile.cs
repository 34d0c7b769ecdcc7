using System.IO;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Microsoft.ML.Compression.Cli.Output;

/// <summary>Writes the JSON reports the verbs leave next to their output (or at <c>--report</c>).</summary>
public static class ReportFile
{
    /// <summary>camelCase, indented, nulls left out.</summary>
    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The report path: <paramref name="option"/> when given, else the output's path with ".json" instead of its extension.</summary>
    public static string PathFor(string outputPath, string? option) => option ?? Path.ChangeExtension(outputPath, ".json");

    /// <summary>Writes <paramref name="report"/> as JSON to <paramref name="path"/>.</summary>
    public static void Write(string path, object report) => File.WriteAllText(path, JsonSerializer.Serialize(report, Json) + "\n");
}
