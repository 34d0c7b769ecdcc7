using System.Globalization;

namespace Microsoft.ML.Compression.Sweeps;

/// <summary>What values a <see cref="SweepParameter"/> takes.</summary>
public enum SweepParameterKind
{
    /// <summary>A real number in [min, max] (a <see cref="double"/>), optionally on a log scale.</summary>
    Range,

    /// <summary>A whole number in [min, max] (an <see cref="int"/>), optionally on a log scale.</summary>
    IntRange,

    /// <summary>One of a list of values (ints, doubles, bools, strings, enums).</summary>
    Choice,
}

/// <summary>
/// One dimension of a <see cref="SweepSearchSpace"/>, mapped to [0, 1] so tuners can work on vectors: ranges linearly
/// (or logarithmically), whole numbers and choices as equal-width bins, one per value.
/// </summary>
public sealed class SweepParameter
{
    private readonly object[] _values;

    internal SweepParameter(string name, SweepParameterKind kind, double min, double max, object defaultValue, bool logBase, object[]? values)
    {
        Name = name;
        Kind = kind;
        Min = min;
        Max = max;
        LogBase = logBase;
        _values = values ?? Array.Empty<object>();
        Default = Coerce(defaultValue);
    }

    /// <summary>The parameter's name (a configuration's key).</summary>
    public string Name { get; }

    /// <summary>Range, whole-number range or choice.</summary>
    public SweepParameterKind Kind { get; }

    /// <summary>Lowest value of a range (NaN for a choice).</summary>
    public double Min { get; }

    /// <summary>Highest value of a range (NaN for a choice).</summary>
    public double Max { get; }

    /// <summary>Whether a range is searched on a log scale (equal ratios get equal shares of [0, 1]).</summary>
    public bool LogBase { get; }

    /// <summary>The value used by <see cref="SweepSearchSpace.Defaults"/>: a double, an int or one of <see cref="Values"/>.</summary>
    public object Default { get; }

    /// <summary>The candidates of a choice, in order; empty for ranges.</summary>
    public IReadOnlyList<object> Values => _values;

    /// <summary>How many distinct values a whole-number range or choice has; null for a real range.</summary>
    public long? Levels => Kind switch
    {
        SweepParameterKind.IntRange => (long)Max - (long)Min + 1,
        SweepParameterKind.Choice => _values.Length,
        _ => null,
    };

    /// <summary>Where <paramref name="value"/> lies in [0, 1]; discrete values map to the middle of their bin so <see cref="FromUnit"/> returns them.</summary>
    public double ToUnit(object value)
    {
        object v = Coerce(value);
        switch (Kind)
        {
            case SweepParameterKind.Range:
                double x = (double)v;
                if (Max == Min) return 0.5;
                return Math.Clamp(LogBase ? (Math.Log(x) - Math.Log(Min)) / (Math.Log(Max) - Math.Log(Min)) : (x - Min) / (Max - Min), 0, 1);
            case SweepParameterKind.IntRange:
                int i = (int)v;
                if (LogBase)
                {
                    // Bins are [k, k + 1) in log space; the geometric middle of k's bin maps back to k.
                    double mid = Math.Sqrt((double)i * (i + 1));
                    return (Math.Log(mid) - Math.Log(Min)) / (Math.Log(Max + 1) - Math.Log(Min));
                }
                return (i - Min + 0.5) / (Max - Min + 1);
            default:
                return (IndexOf(v) + 0.5) / _values.Length;
        }
    }

    /// <summary>The value at <paramref name="unit"/> (clamped to [0, 1]).</summary>
    public object FromUnit(double unit)
    {
        double u = double.IsNaN(unit) ? 0.5 : Math.Clamp(unit, 0, 1);
        switch (Kind)
        {
            case SweepParameterKind.Range:
                double x = LogBase ? Math.Exp(Math.Log(Min) + u * (Math.Log(Max) - Math.Log(Min))) : Min + u * (Max - Min);
                return Math.Clamp(x, Min, Max);
            case SweepParameterKind.IntRange:
                double k = LogBase ? Math.Floor(Math.Exp(Math.Log(Min) + u * (Math.Log(Max + 1) - Math.Log(Min)))) : Math.Floor(Min + u * (Max - Min + 1));
                return (int)Math.Clamp(k, Min, Max);
            default:
                return _values[Math.Min(_values.Length - 1, (int)Math.Floor(u * _values.Length))];
        }
    }

    /// <summary>
    /// <paramref name="value"/> as this parameter stores it (a double, an int, or the matching candidate), or an
    /// <see cref="ArgumentException"/> naming the parameter and what it accepts.
    /// </summary>
    public object Coerce(object? value)
    {
        switch (Kind)
        {
            case SweepParameterKind.Range:
                if (!TryNumber(value, out double x) || !double.IsFinite(x))
                    throw Invalid(value, $"a number in [{Format(Min)}, {Format(Max)}]");
                if (x < Min - Tolerance(Min) || x > Max + Tolerance(Max))
                    throw Invalid(value, $"in [{Format(Min)}, {Format(Max)}]");
                return Math.Clamp(x, Min, Max);
            case SweepParameterKind.IntRange:
                if (!TryNumber(value, out double n) || n != Math.Floor(n))
                    throw Invalid(value, $"a whole number in [{Format(Min)}, {Format(Max)}]");
                if (n < Min || n > Max)
                    throw Invalid(value, $"in [{Format(Min)}, {Format(Max)}]");
                return (int)n;
            default:
                return _values[IndexOf(value)];
        }
    }

    /// <summary>The parameter as one line: "lr: range [0.0001, 0.1] log, default 0.001".</summary>
    public override string ToString() => Kind switch
    {
        SweepParameterKind.Choice => $"{Name}: choice of {string.Join(", ", _values.Select(SweepValues.Format))}, default {SweepValues.Format(Default)}",
        _ => $"{Name}: {(Kind == SweepParameterKind.IntRange ? "int range" : "range")} [{Format(Min)}, {Format(Max)}]{(LogBase ? " log" : "")}, default {SweepValues.Format(Default)}",
    };

    private int IndexOf(object? value)
    {
        for (int i = 0; i < _values.Length; i++)
            if (SweepValues.Matches(_values[i], value)) return i;
        throw Invalid(value, $"one of {string.Join(", ", _values.Select(SweepValues.Format))}");
    }

    private ArgumentException Invalid(object? value, string expected) =>
        new($"Sweep parameter '{Name}' is {(value is null ? "null" : SweepValues.Format(value) + " (" + value.GetType().Name + ")")} but must be {expected}.", Name);

    private static double Tolerance(double bound) => 1e-12 * Math.Max(1, Math.Abs(bound));

    private static string Format(double x) => x.ToString("R", CultureInfo.InvariantCulture);

    private static bool TryNumber(object? value, out double x)
    {
        switch (value)
        {
            case double d: x = d; return true;
            case float f: x = f; return true;
            case int i: x = i; return true;
            case long l: x = l; return true;
            case short s: x = s; return true;
            case byte b: x = b; return true;
            case decimal m: x = (double)m; return true;
            default: x = double.NaN; return false;
        }
    }
}
