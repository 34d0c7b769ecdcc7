using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Microsoft.ML.Compression.Sweeps;

/// <summary>
/// How configuration values are compared, printed and written to JSON with their type (so an int stays an int and an
/// enum an enum across a checkpoint and back).
/// </summary>
internal static class SweepValues
{
    /// <summary>Invariant text of a value: doubles round-trip ("R"), bools lower case, enums by name.</summary>
    public static string Format(object? value) => value switch
    {
        null => "null",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        IFormattable x => x.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>Whether <paramref name="value"/> stands for <paramref name="candidate"/>: equal, the same number, or an enum's name.</summary>
    public static bool Matches(object candidate, object? value)
    {
        if (value is null) return false;
        if (candidate.Equals(value)) return true;
        if (candidate is Enum e) return value is string s && e.ToString() == s;
        if (candidate is bool || value is bool) return false;
        return IsNumber(candidate) && IsNumber(value) && Convert.ToDouble(candidate, CultureInfo.InvariantCulture) == Convert.ToDouble(value, CultureInfo.InvariantCulture);
    }

    public static bool IsNumber(object value) => value is int or long or double or float or short or byte or decimal;

    /// <summary>{"type": "int", "value": 4}; enums carry their type's name and assembly.</summary>
    public static JsonObject ToJson(object value)
    {
        (string type, JsonNode? node) = value switch
        {
            int i => ("int", JsonValue.Create(i)),
            long l => ("long", JsonValue.Create(l)),
            double d => ("double", (JsonNode?)JsonValue.Create(d)),
            float f => ("float", JsonValue.Create(f)),
            bool b => ("bool", JsonValue.Create(b)),
            string s => ("string", JsonValue.Create(s)),
            Enum e => ("enum:" + e.GetType().FullName + ", " + e.GetType().Assembly.GetName().Name, JsonValue.Create(e.ToString())),
            _ => throw new NotSupportedException($"Sweep values must be ints, doubles, floats, bools, strings or enums, not {value.GetType().Name}."),
        };
        if (value is double or float && !double.IsFinite(Convert.ToDouble(value, CultureInfo.InvariantCulture)))
            throw new NotSupportedException("Sweep values must be finite numbers.");
        return new JsonObject { ["type"] = type, ["value"] = node };
    }

    public static object FromJson(JsonNode node)
    {
        string type = node["type"]?.GetValue<string>() ?? throw new JsonException("A sweep value has no \"type\".");
        JsonNode value = node["value"] ?? throw new JsonException("A sweep value has no \"value\".");
        switch (type)
        {
            case "int": return value.GetValue<int>();
            case "long": return value.GetValue<long>();
            case "double": return value.GetValue<double>();
            case "float": return value.GetValue<float>();
            case "bool": return value.GetValue<bool>();
            case "string": return value.GetValue<string>();
        }
        if (!type.StartsWith("enum:", StringComparison.Ordinal)) throw new JsonException($"Unknown sweep value type '{type}'.");
        Type enumType = Type.GetType(type.Substring(5), throwOnError: false) ?? FindLoaded(type.Substring(5))
            ?? throw new JsonException($"The enum type '{type.Substring(5)}' of a sweep value cannot be found.");
        return Enum.Parse(enumType, value.GetValue<string>());
    }

    // Type.GetType does not look in assemblies loaded into other contexts (e.g. a test host's); scan the loaded ones.
    private static Type? FindLoaded(string qualifiedName)
    {
        string fullName = qualifiedName.Split(',')[0].Trim();
        foreach (Assembly assembly in AppDomain.CurrentDomain.GetAssemblies())
            if (assembly.GetType(fullName, throwOnError: false) is Type t) return t;
        return null;
    }

    /// <summary>A metric as JSON: non-finite values as the strings "NaN", "Infinity", "-Infinity".</summary>
    public static JsonNode Metric(double x) => double.IsFinite(x) ? JsonValue.Create(x) : JsonValue.Create(x.ToString(CultureInfo.InvariantCulture));

    public static double Metric(JsonNode node) => node.GetValueKind() == JsonValueKind.String
        ? double.Parse(node.GetValue<string>(), CultureInfo.InvariantCulture) : node.GetValue<double>();
}
