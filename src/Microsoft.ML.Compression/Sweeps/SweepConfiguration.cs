using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Microsoft.ML.Compression.Sweeps;

/// <summary>
/// An immutable, ordered set of parameter values (one point of a <see cref="SweepSearchSpace"/>). Values are ints,
/// doubles, bools, strings or enums; <see cref="Key"/> names the point canonically (to find duplicates and to resume).
/// </summary>
public sealed class SweepConfiguration : IReadOnlyDictionary<string, object>
{
    private readonly string[] _names;
    private readonly object[] _values;

    /// <summary>A configuration with <paramref name="values"/> in the order given; names must be distinct.</summary>
    public SweepConfiguration(IEnumerable<KeyValuePair<string, object>> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var pairs = values.ToList();
        _names = pairs.Select(p => p.Key).ToArray();
        _values = pairs.Select(p => p.Value).ToArray();
        for (int i = 0; i < _names.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(_names[i])) throw new ArgumentException("A configuration's parameter names must not be empty.", nameof(values));
            if (_values[i] is null) throw new ArgumentException($"Parameter '{_names[i]}' has no value.", nameof(values));
            if (Array.IndexOf(_names, _names[i], 0, i) >= 0) throw new ArgumentException($"Parameter '{_names[i]}' appears twice.", nameof(values));
        }
        Key = string.Join(";", _names.Select((n, i) => n + "=" + SweepValues.Format(_values[i])));
    }

    /// <summary>A configuration from (name, value) pairs, in order.</summary>
    public static SweepConfiguration Of(params (string Name, object Value)[] values) =>
        new(values.Select(v => new KeyValuePair<string, object>(v.Name, v.Value)));

    /// <summary>
    /// Canonical text of the configuration, "name=value;..." in parameter order with invariant, round-trip numbers:
    /// two configurations with the same key are the same point.
    /// </summary>
    public string Key { get; }

    /// <summary>The parameter names, in order.</summary>
    public IEnumerable<string> Keys => _names;

    /// <summary>The values, in parameter order.</summary>
    public IEnumerable<object> Values => _values;

    /// <summary>Number of parameters.</summary>
    public int Count => _names.Length;

    /// <summary>The value of <paramref name="name"/>; a <see cref="KeyNotFoundException"/> names it when absent.</summary>
    public object this[string name] => _values[IndexOf(name)];

    /// <summary>
    /// The value of <paramref name="name"/> as <typeparamref name="T"/> (an int also reads as a long, float or double);
    /// a clear error names a missing parameter or one of another type.
    /// </summary>
    public T Get<T>(string name)
    {
        object value = this[name];
        if (value is T t) return t;
        Type target = Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T);
        bool widening = (value is int && (target == typeof(long) || target == typeof(double) || target == typeof(float)))
            || (value is float && target == typeof(double)) || (value is long && target == typeof(double));
        if (widening) return (T)Convert.ChangeType(value, target, CultureInfo.InvariantCulture);
        throw new InvalidCastException($"Sweep parameter '{name}' is {value.GetType().Name} {SweepValues.Format(value)}, not {typeof(T).Name}.");
    }

    /// <summary>Whether the configuration has <paramref name="name"/>.</summary>
    public bool ContainsKey(string name) => Array.IndexOf(_names, name) >= 0;

    /// <inheritdoc />
    public bool TryGetValue(string key, [MaybeNullWhen(false)] out object value)
    {
        int i = Array.IndexOf(_names, key);
        value = i >= 0 ? _values[i] : null;
        return i >= 0;
    }

    /// <summary>A copy with <paramref name="name"/> set to <paramref name="value"/> (appended when new).</summary>
    public SweepConfiguration With(string name, object value) =>
        new(ContainsKey(name) ? this.Select(p => p.Key == name ? new KeyValuePair<string, object>(name, value) : p) : this.Append(new(name, value)));

    /// <summary>The configuration as JSON: an object of name → {"type", "value"}, types kept (an int stays an int, an enum its type).</summary>
    public string ToJson() => ToJsonNode().ToJsonString();

    /// <summary>Reads <see cref="ToJson"/>'s text back.</summary>
    public static SweepConfiguration FromJson(string json) =>
        FromJsonNode(JsonNode.Parse(json) ?? throw new JsonException("A sweep configuration's JSON is empty."));

    internal JsonObject ToJsonNode()
    {
        var o = new JsonObject();
        for (int i = 0; i < _names.Length; i++) o[_names[i]] = SweepValues.ToJson(_values[i]);
        return o;
    }

    internal static SweepConfiguration FromJsonNode(JsonNode node) =>
        new(node.AsObject().Select(p => new KeyValuePair<string, object>(p.Key, SweepValues.FromJson(p.Value ?? throw new JsonException($"Parameter '{p.Key}' has no value.")))));

    /// <summary>"name = value, ..." for logs.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        for (int i = 0; i < _names.Length; i++) text.Append(i == 0 ? "" : ", ").Append(_names[i]).Append(" = ").Append(SweepValues.Format(_values[i]));
        return text.ToString();
    }

    /// <summary>Configurations are equal when their <see cref="Key"/>s are.</summary>
    public override bool Equals(object? obj) => obj is SweepConfiguration c && c.Key == Key;

    /// <inheritdoc />
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Key);

    /// <inheritdoc />
    public IEnumerator<KeyValuePair<string, object>> GetEnumerator()
    {
        for (int i = 0; i < _names.Length; i++) yield return new(_names[i], _values[i]);
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private int IndexOf(string name)
    {
        int i = Array.IndexOf(_names, name);
        if (i < 0) throw new KeyNotFoundException($"The sweep configuration has no parameter '{name}' (it has {(_names.Length == 0 ? "none" : string.Join(", ", _names))}).");
        return i;
    }
}
