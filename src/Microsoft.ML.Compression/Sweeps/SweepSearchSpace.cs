using System.Globalization;
using System.Reflection;

namespace Microsoft.ML.Compression.Sweeps;

/// <summary>
/// The parameters a sweep searches, in order: real ranges, whole-number ranges and choices. Every configuration maps
/// to a vector in [0, 1]^d (<see cref="ToUnit"/>, <see cref="FromUnit"/>), so tuners work on vectors whatever the
/// parameters are (as ML.NET AutoML's search spaces do).
/// </summary>
public sealed class SweepSearchSpace
{
    private readonly List<SweepParameter> _parameters = new();

    /// <summary>The parameters, in the order they were added.</summary>
    public IReadOnlyList<SweepParameter> Parameters => _parameters;

    /// <summary>Number of parameters (the unit vectors' length).</summary>
    public int Dimensions => _parameters.Count;

    /// <summary>The parameter called <paramref name="name"/>; a clear error when there is none.</summary>
    public SweepParameter this[string name] => _parameters.FirstOrDefault(p => p.Name == name)
        ?? throw new KeyNotFoundException($"The search space has no parameter '{name}' (it has {string.Join(", ", _parameters.Select(p => p.Name))}).");

    /// <summary>Adds a real range [<paramref name="min"/>, <paramref name="max"/>] (log scale: <paramref name="min"/> must be positive).</summary>
    public SweepSearchSpace AddRange(string name, double min, double max, double defaultValue, bool logBase = false)
    {
        CheckBounds(name, min, max, logBase, 0);
        return Add(new SweepParameter(name, SweepParameterKind.Range, min, max, defaultValue, logBase, null));
    }

    /// <summary>Adds a whole-number range [<paramref name="min"/>, <paramref name="max"/>] (log scale: <paramref name="min"/> must be at least 1).</summary>
    public SweepSearchSpace AddIntRange(string name, int min, int max, int defaultValue, bool logBase = false)
    {
        CheckBounds(name, min, max, logBase, 1);
        return Add(new SweepParameter(name, SweepParameterKind.IntRange, min, max, defaultValue, logBase, null));
    }

    /// <summary>Adds a choice among <paramref name="values"/> (ints, doubles, bools, strings or enums, distinct); the default must be one of them.</summary>
    public SweepSearchSpace AddChoice(string name, IEnumerable<object> values, object defaultValue)
    {
        ArgumentNullException.ThrowIfNull(values);
        object[] candidates = values.ToArray();
        CheckName(name);
        if (candidates.Length == 0) throw new ArgumentException($"Sweep parameter '{name}' needs at least one value to choose from.", nameof(values));
        for (int i = 0; i < candidates.Length; i++)
        {
            object c = candidates[i] ?? throw new ArgumentException($"Sweep parameter '{name}' has a null value.", nameof(values));
            if (!(SweepValues.IsNumber(c) || c is bool or string or Enum))
                throw new ArgumentException($"Sweep parameter '{name}' has a value of type {c.GetType().Name}; choices must be ints, doubles, bools, strings or enums.", nameof(values));
            if (candidates.Take(i).Any(p => SweepValues.Matches(p, c)))
                throw new ArgumentException($"Sweep parameter '{name}' lists {SweepValues.Format(c)} twice.", nameof(values));
        }
        return Add(new SweepParameter(name, SweepParameterKind.Choice, double.NaN, double.NaN, defaultValue, false, candidates));
    }

    /// <summary>Adds a choice between false and true.</summary>
    public SweepSearchSpace AddBoolean(string name, bool defaultValue) => AddChoice(name, new object[] { false, true }, defaultValue);

    /// <summary>
    /// The parameters of an options class: every public settable property with ML.NET's <c>[Range]</c>,
    /// <c>[Choice]</c> or <c>[BooleanChoice]</c> (namespace Microsoft.ML.SearchSpace), named
    /// <paramref name="prefix"/> + the property's name. A range on an int property is a whole-number range. A default
    /// missing from the attribute is the property's value on a new instance (when the class has a public parameterless
    /// constructor and the value fits), else the range's minimum, the first choice, or false.
    /// </summary>
    public static SweepSearchSpace FromOptions(Type optionsType, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(optionsType);
        var space = new SweepSearchSpace();
        space.AddOptions(optionsType, prefix);
        return space;
    }

    /// <summary><see cref="FromOptions(Type, string)"/> of <typeparamref name="T"/>.</summary>
    public static SweepSearchSpace FromOptions<T>(string prefix = "") => FromOptions(typeof(T), prefix);

    /// <summary>Adds the attributed properties of <paramref name="optionsType"/> (see <see cref="FromOptions(Type, string)"/>), e.g. two option classes in one space with different prefixes.</summary>
    public SweepSearchSpace AddOptions(Type optionsType, string prefix = "") => AddOptions(optionsType, prefix, Array.Empty<string>());

    /// <summary>
    /// Adds only the attributed properties of <paramref name="optionsType"/> named in <paramref name="properties"/>
    /// (all of them when none is named); a name that is not an attributed property is refused, listing those there are.
    /// </summary>
    public SweepSearchSpace AddOptions(Type optionsType, string prefix, params string[] properties)
    {
        ArgumentNullException.ThrowIfNull(optionsType);
        ArgumentNullException.ThrowIfNull(properties);
        var swept = SweptProperties(optionsType).ToList();
        foreach (string wanted in properties)
            if (!swept.Any(p => p.Name == wanted))
                throw new ArgumentException(
                    $"'{wanted}' is not a property of {optionsType.Name} with a [Range], [Choice] or [BooleanChoice] attribute; those are: {string.Join(", ", swept.Select(p => p.Name))}.",
                    nameof(properties));
        object? instance = optionsType.IsAbstract || optionsType.GetConstructor(Type.EmptyTypes) is null ? null : Activator.CreateInstance(optionsType);
        foreach (PropertyInfo property in swept.Where(p => properties.Length == 0 || properties.Contains(p.Name)))
        {
            string name = prefix + property.Name;
            object? current = instance is null ? null : property.GetValue(instance);
            foreach (CustomAttributeData a in property.CustomAttributes)
            {
                IList<CustomAttributeTypedArgument> args = a.ConstructorArguments;
                switch (a.AttributeType.FullName)
                {
                    case RangeAttribute:
                        double min = Convert.ToDouble(args[0].Value, CultureInfo.InvariantCulture), max = Convert.ToDouble(args[1].Value, CultureInfo.InvariantCulture);
                        bool log = args.Count > 2 && args[^1].Value is bool b && b;
                        double? init = args.Count == 4 ? Convert.ToDouble(args[2].Value, CultureInfo.InvariantCulture) : null;
                        double fallback = current is not null && SweepValues.IsNumber(current) && Convert.ToDouble(current, CultureInfo.InvariantCulture) is double c && c >= min && c <= max ? c : min;
                        Type type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
                        if (type == typeof(int) || type == typeof(long) || type == typeof(short))
                            AddIntRange(name, (int)min, (int)max, (int)Math.Round(init ?? fallback), log);
                        else
                            AddRange(name, min, max, init ?? fallback, log);
                        break;
                    case ChoiceAttribute:
                        object[] candidates = ((IEnumerable<CustomAttributeTypedArgument>)args[0].Value!).Select(Unwrap).ToArray();
                        object? given = args.Count > 1 ? Unwrap(args[1]) : null;
                        object choice = given ?? (current is not null && candidates.Any(v => SweepValues.Matches(v, current)) ? current : candidates[0]);
                        AddChoice(name, candidates, choice);
                        break;
                    case BooleanChoiceAttribute:
                        AddBoolean(name, args.Count > 0 ? (bool)args[0].Value! : current is bool d && d);
                        break;
                }
            }
        }
        return this;
    }

    /// <summary>
    /// Sets every attributed property of <paramref name="options"/> that <paramref name="configuration"/> names
    /// (<paramref name="prefix"/> + property name), converting to the property's type; returns <paramref name="options"/>.
    /// </summary>
    public T ApplyTo<T>(T options, SweepConfiguration configuration, string prefix = "") where T : class
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(configuration);
        foreach (PropertyInfo property in SweptProperties(options.GetType()))
        {
            if (!configuration.TryGetValue(prefix + property.Name, out object? value)) continue;
            Type type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            object converted = type.IsEnum
                ? (value is string s ? Enum.Parse(type, s) : Enum.ToObject(type, value))
                : type.IsInstanceOfType(value) ? value : Convert.ChangeType(value, type, CultureInfo.InvariantCulture);
            property.SetValue(options, converted);
        }
        return options;
    }

    /// <summary>The configuration of every parameter's default.</summary>
    public SweepConfiguration Defaults() => new(_parameters.Select(p => new KeyValuePair<string, object>(p.Name, p.Default)));

    /// <summary>The configuration's point in [0, 1]^d (discrete values at their bin's middle).</summary>
    public double[] ToUnit(SweepConfiguration configuration)
    {
        SweepConfiguration c = Validate(configuration);
        return _parameters.Select(p => p.ToUnit(c[p.Name])).ToArray();
    }

    /// <summary>The configuration at <paramref name="unit"/> (one coordinate per parameter, clamped to [0, 1]).</summary>
    public SweepConfiguration FromUnit(IReadOnlyList<double> unit)
    {
        ArgumentNullException.ThrowIfNull(unit);
        if (unit.Count != Dimensions) throw new ArgumentException($"The unit vector has {unit.Count} coordinates but the search space has {Dimensions} parameters.", nameof(unit));
        return new(_parameters.Select((p, i) => new KeyValuePair<string, object>(p.Name, p.FromUnit(unit[i]))));
    }

    /// <summary>
    /// <paramref name="configuration"/> checked and in canonical form (parameters in order, ints as ints, choices
    /// as their candidates); an <see cref="ArgumentException"/> names a missing, unknown or out-of-range parameter.
    /// </summary>
    public SweepConfiguration Validate(SweepConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        foreach (string name in configuration.Keys)
            if (!_parameters.Any(p => p.Name == name))
                throw new ArgumentException($"The configuration sets '{name}', which is not a parameter of the search space ({string.Join(", ", _parameters.Select(p => p.Name))}).", nameof(configuration));
        return new(_parameters.Select(p => new KeyValuePair<string, object>(p.Name, configuration.TryGetValue(p.Name, out object? v)
            ? p.Coerce(v) : throw new ArgumentException($"The configuration has no value for sweep parameter '{p.Name}'.", nameof(configuration)))));
    }

    /// <summary>
    /// Every combination of: <paramref name="stepsPerRange"/> evenly spaced values of each real range (in its scale,
    /// ends included; one step = its default), up to that many distinct values of each whole-number range, and all
    /// values of each choice. The first parameter varies slowest.
    /// </summary>
    public IEnumerable<SweepConfiguration> Grid(int stepsPerRange)
    {
        if (stepsPerRange < 1) throw new ArgumentOutOfRangeException(nameof(stepsPerRange), stepsPerRange, "A grid needs at least one step per range.");
        List<object[]> axes = _parameters.Select(p => Axis(p, stepsPerRange)).ToList();
        var index = new int[axes.Count];
        while (true)
        {
            yield return new(_parameters.Select((p, i) => new KeyValuePair<string, object>(p.Name, axes[i][index[i]])));
            int d = axes.Count - 1;
            while (d >= 0 && ++index[d] == axes[d].Length) index[d--] = 0;
            if (d < 0) yield break;
        }
    }

    /// <summary>One line per parameter (also the search space's part of a checkpoint's fingerprint).</summary>
    public override string ToString() => string.Join("\n", _parameters);

    private static object[] Axis(SweepParameter p, int steps)
    {
        if (p.Kind == SweepParameterKind.Choice) return p.Values.ToArray();
        if (steps == 1) return new[] { p.Default };
        return Enumerable.Range(0, steps).Select(i => p.FromUnit((double)i / (steps - 1))).Distinct().ToArray();
    }

    private const string RangeAttribute = "Microsoft.ML.SearchSpace.RangeAttribute",
        ChoiceAttribute = "Microsoft.ML.SearchSpace.ChoiceAttribute",
        BooleanChoiceAttribute = "Microsoft.ML.SearchSpace.BooleanChoiceAttribute";

    private static IEnumerable<PropertyInfo> SweptProperties(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.SetMethod is { IsPublic: true } && p.GetIndexParameters().Length == 0
                && p.CustomAttributes.Any(a => a.AttributeType.FullName is RangeAttribute or ChoiceAttribute or BooleanChoiceAttribute))
            .OrderBy(p => p.MetadataToken); // declaration order (GetProperties' order is not guaranteed)

    // Attribute data holds enum values as their underlying number and object arguments wrapped; give back the value.
    private static object Unwrap(CustomAttributeTypedArgument a)
    {
        object? value = a.Value is CustomAttributeTypedArgument inner ? Unwrap(inner) : a.Value;
        if (value is null) throw new ArgumentException("A [Choice] candidate is null.");
        return a.ArgumentType.IsEnum ? Enum.ToObject(a.ArgumentType, value) : value;
    }

    private SweepSearchSpace Add(SweepParameter parameter)
    {
        _parameters.Add(parameter);
        return this;
    }

    private void CheckName(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (_parameters.Any(p => p.Name == name)) throw new ArgumentException($"The search space already has a parameter '{name}'.", nameof(name));
    }

    private void CheckBounds(string name, double min, double max, bool logBase, double logMin)
    {
        CheckName(name);
        if (!double.IsFinite(min) || !double.IsFinite(max) || !(min <= max))
            throw new ArgumentException($"Sweep parameter '{name}' needs finite bounds with min <= max, not [{min}, {max}].", nameof(min));
        if (logBase && !(min >= logMin && min > 0))
            throw new ArgumentException($"Sweep parameter '{name}' is on a log scale, so its minimum must be {(logMin >= 1 ? "at least 1" : "positive")}, not {min}.", nameof(min));
    }
}
