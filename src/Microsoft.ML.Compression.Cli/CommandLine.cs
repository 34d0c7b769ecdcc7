using System.Globalization;

namespace Microsoft.ML.Compression.Cli;

/// <summary>
/// A parsed command line: the verb, its positional arguments and its <c>--name value</c> options and <c>--flag</c>s.
/// Getters check each value and throw a usage error (exit code 2) naming the option and what it expects; options a
/// verb never read are reported by <see cref="RejectUnused"/>.
/// </summary>
public sealed class CommandLine
{
    private readonly Dictionary<string, string?> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    private CommandLine(string verb) => Verb = verb;

    /// <summary>The first argument (e.g. "quantize").</summary>
    public string Verb { get; }

    /// <summary>Arguments that are not options, in order.</summary>
    public List<string> Positionals { get; } = new();

    /// <summary>
    /// Parses <paramref name="args"/>. <paramref name="flags"/> are the option names that take no value; every other
    /// <c>--name</c> takes the next argument (or the part after '=') as its value.
    /// </summary>
    public static CommandLine Parse(string[] args, ISet<string> flags)
    {
        if (args.Length == 0) throw CliException.Usage("No verb given; run 'mlnet-compress --help' for the verbs.");
        var line = new CommandLine(args[0]);
        for (int i = 1; i < args.Length; i++)
        {
            string a = args[i];
            if (!a.StartsWith('-') || a == "-")
            {
                line.Positionals.Add(a);
                continue;
            }
            string name = a.TrimStart('-');
            string? value = null;
            int eq = name.IndexOf('=');
            if (eq >= 0) (name, value) = (name[..eq], name[(eq + 1)..]);
            if (name == "o") name = "output";
            if (name == "h") name = "help";
            if (name.Length == 0) throw CliException.Usage($"'{a}' is not an option name.");
            if (line._options.ContainsKey(name)) throw CliException.Usage($"Option --{name} is given twice.");
            if (flags.Contains(name))
            {
                if (value is not null) throw CliException.Usage($"Option --{name} takes no value (got '{value}').");
            }
            else if (value is null)
            {
                if (i + 1 >= args.Length) throw CliException.Usage($"Option --{name} needs a value.");
                value = args[++i];
            }
            line._options[name] = value;
        }
        return line;
    }

    /// <summary>True when the flag or option is present.</summary>
    public bool Has(string name)
    {
        _used.Add(name);
        return _options.ContainsKey(name);
    }

    /// <summary>The option's value, or null when absent.</summary>
    public string? String(string name)
    {
        _used.Add(name);
        return _options.TryGetValue(name, out string? v) ? v : null;
    }

    /// <summary>The option's value; a usage error when absent.</summary>
    public string Required(string name, string expected) =>
        String(name) ?? throw CliException.Usage($"Option --{name} is required: {expected}.");

    /// <summary>An integer option in [<paramref name="min"/>, <paramref name="max"/>], or <paramref name="fallback"/> when absent.</summary>
    public int Int(string name, int fallback, int min = int.MinValue, int max = int.MaxValue)
    {
        string? s = String(name);
        if (s is null) return fallback;
        if (!int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) || v < min || v > max)
            throw CliException.Usage($"Option --{name} expects an integer {Range(min, max)}, got '{s}'.");
        return v;
    }

    /// <summary>A number option in [<paramref name="min"/>, <paramref name="max"/>], or <paramref name="fallback"/> when absent.</summary>
    public double Double(string name, double fallback, double min = double.MinValue, double max = double.MaxValue)
    {
        string? s = String(name);
        if (s is null) return fallback;
        if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v) || v < min || v > max)
            throw CliException.Usage($"Option --{name} expects a number {Range(min, max)}, got '{s}'.");
        return v;
    }

    /// <summary>A comma-separated list of numbers (e.g. "0.485,0.456,0.406"), or null when absent.</summary>
    public float[]? Floats(string name, Func<float, bool> valid, string expected)
    {
        string? s = String(name);
        if (s is null) return null;
        string[] parts = s.Split(',', StringSplitOptions.TrimEntries);
        var values = new float[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!float.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]) || !valid(values[i]))
                throw CliException.Usage($"Option --{name} expects {expected}, got '{s}'.");
        return values;
    }

    /// <summary>One of <paramref name="choices"/> (case-insensitive), or <paramref name="fallback"/> when absent.</summary>
    public string Choice(string name, string fallback, params string[] choices)
    {
        string? s = String(name);
        if (s is null) return fallback;
        return choices.FirstOrDefault(c => string.Equals(c, s, StringComparison.OrdinalIgnoreCase))
            ?? throw CliException.Usage($"Option --{name} expects one of {string.Join(", ", choices)}, got '{s}'.");
    }

    /// <summary>Fails on options the verb did not read, and on more than <paramref name="positionals"/> positional arguments.</summary>
    public void RejectUnused(int positionals)
    {
        string? unknown = _options.Keys.FirstOrDefault(k => !_used.Contains(k));
        if (unknown is not null)
            throw CliException.Usage($"Unknown option --{unknown} for '{Verb}'; run 'mlnet-compress {Verb} --help' for its options.");
        if (Positionals.Count > positionals)
            throw CliException.Usage($"Unexpected argument '{Positionals[positionals]}' for '{Verb}'; run 'mlnet-compress {Verb} --help'.");
    }

    private static string Range(double min, double max) =>
        (min, max) switch
        {
            (double.MinValue or int.MinValue, double.MaxValue or int.MaxValue) => "",
            (_, double.MaxValue or int.MaxValue) => $">= {min.ToString(CultureInfo.InvariantCulture)}",
            _ => $"in [{min.ToString(CultureInfo.InvariantCulture)}, {max.ToString(CultureInfo.InvariantCulture)}]",
        };
}
