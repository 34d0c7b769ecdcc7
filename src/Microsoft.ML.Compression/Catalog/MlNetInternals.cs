using System.Reflection;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Compression;

/// <summary>
/// The few ML.NET 5 members the library needs that ML.NET keeps internal, in one place: the environment behind an
/// MLContext (it feeds MLContext.Log, hands out seeds and carries CancelExecution), whether it is cancelled, and
/// SchemaShape's factory. Each fails loudly, naming the member, if a future ML.NET moves it: a silent fallback would
/// lose the caller's logs, seed or cancellation. (<see cref="Scoring.MulticlassScorer"/> uses the multiclass scorer's.)
/// </summary>
internal static class MlNetInternals
{
    private static readonly FieldInfo? CatalogEnvironment = typeof(TransformsCatalog).GetField("_env", BindingFlags.Instance | BindingFlags.NonPublic);
    private static readonly FieldInfo? ContextEnvironment = typeof(MLContext).GetField("_env", BindingFlags.Instance | BindingFlags.NonPublic);
    private static readonly PropertyInfo? Canceled = typeof(IHostEnvironment).Assembly.GetType("Microsoft.ML.Runtime.ICancelable")?.GetProperty("IsCanceled");
    private static readonly MethodInfo? CreateShape = typeof(SchemaShape).GetMethod("Create",
        BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public, new[] { typeof(DataViewSchema) });

    /// <summary>The environment of the MLContext behind <paramref name="catalog"/>.</summary>
    public static IHostEnvironment EnvironmentOf(TransformsCatalog catalog) => Environment(catalog, CatalogEnvironment, "TransformsCatalog._env");

    /// <summary>The environment of <paramref name="context"/>.</summary>
    public static IHostEnvironment EnvironmentOf(MLContext context) => Environment(context, ContextEnvironment, "MLContext._env");

    /// <summary>True once <c>MLContext.CancelExecution()</c> marked <paramref name="environment"/> (or the host) cancelled.</summary>
    public static bool IsCanceled(IHostEnvironment environment) =>
        (Canceled ?? throw Missing("Microsoft.ML.Runtime.ICancelable.IsCanceled")).DeclaringType!.IsInstanceOfType(environment)
        && Canceled.GetValue(environment) is true;

    /// <summary>The SchemaShape of <paramref name="schema"/> (ML.NET 5 offers no public way to make SchemaShape columns).</summary>
    public static SchemaShape ShapeOf(DataViewSchema schema) =>
        CreateShape?.Invoke(null, new object[] { schema }) as SchemaShape ?? throw Missing("SchemaShape.Create(DataViewSchema)");

    private static IHostEnvironment Environment(object owner, FieldInfo? field, string member)
    {
        ArgumentNullException.ThrowIfNull(owner);
        return field?.GetValue(owner) as IHostEnvironment ?? throw Missing(member);
    }

    private static NotSupportedException Missing(string member) =>
        new($"This ML.NET version ({typeof(MLContext).Assembly.GetName().Version}) lacks {member}, which Microsoft.ML.Compression needs to log to " +
            "MLContext.Log, draw seeds, honour CancelExecution and describe schemas; use the Microsoft.ML version this library was built against (5.0.x).");
}
