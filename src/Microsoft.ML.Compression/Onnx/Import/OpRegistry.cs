using System.Reflection;

namespace Microsoft.ML.Compression.Onnx.Import;

/// <summary>
/// The converters and constant evaluators of this assembly, keyed by the op types of their <see cref="OnnxOpAttribute"/>s
/// (found once by reflection, so a new op needs no edit here).
/// </summary>
internal static class OpRegistry
{
    private static readonly Lazy<(Dictionary<string, IOpConverter> Converters, Dictionary<string, IConstantEvaluator> Evaluators)> Tables = new(Discover);

    /// <summary>Converters by op type.</summary>
    public static IReadOnlyDictionary<string, IOpConverter> Converters => Tables.Value.Converters;

    /// <summary>Constant evaluators by op type.</summary>
    public static IReadOnlyDictionary<string, IConstantEvaluator> Evaluators => Tables.Value.Evaluators;

    private static readonly Lazy<IReadOnlyList<string>> OpTypes = new(() =>
        Array.AsReadOnly(Converters.Keys.Union(Evaluators.Keys).OrderBy(k => k, StringComparer.Ordinal).ToArray()));

    /// <summary>Every op type with a converter or an evaluator, sorted.</summary>
    public static IReadOnlyList<string> SupportedOpTypes => OpTypes.Value;

    private static (Dictionary<string, IOpConverter>, Dictionary<string, IConstantEvaluator>) Discover()
    {
        var converters = new Dictionary<string, IOpConverter>(StringComparer.Ordinal);
        var evaluators = new Dictionary<string, IConstantEvaluator>(StringComparer.Ordinal);
        foreach (Type type in typeof(OpRegistry).Assembly.GetTypes())
        {
            var ops = type.GetCustomAttributes<OnnxOpAttribute>().ToArray();
            if (ops.Length == 0) continue;
            object instance = Activator.CreateInstance(type)
                ?? throw new InvalidOperationException($"Cannot create {type.Name}.");
            bool registered = false;
            foreach (OnnxOpAttribute op in ops)
            {
                if (instance is IOpConverter c) registered |= Add(converters, op.OpType, c, type);
                if (instance is IConstantEvaluator e) registered |= Add(evaluators, op.OpType, e, type);
            }
            if (!registered)
                throw new InvalidOperationException($"{type.Name} has [OnnxOp] but is neither an IOpConverter nor an IConstantEvaluator.");
        }
        return (converters, evaluators);
    }

    private static bool Add<T>(Dictionary<string, T> table, string opType, T handler, Type type)
    {
        // Two handlers for one op would make the choice depend on reflection order.
        if (!table.TryAdd(opType, handler))
            throw new InvalidOperationException($"Two {typeof(T).Name}s are registered for ONNX op '{opType}' ({type.Name} and {table[opType]!.GetType().Name}).");
        return true;
    }
}
