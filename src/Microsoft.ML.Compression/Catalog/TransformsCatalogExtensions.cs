using System.Reflection;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Compression;

/// <summary>Adds <c>mlContext.Transforms.Compression</c>.</summary>
public static class TransformsCatalogExtensions
{
    private static readonly FieldInfo? EnvironmentField =
        typeof(TransformsCatalog).GetField("_env", BindingFlags.Instance | BindingFlags.NonPublic);

    extension(TransformsCatalog catalog)
    {
        /// <summary>The model-compression estimators (train, quantize, prune, distill).</summary>
        public CompressionCatalog Compression => new(ContextOf(catalog));
    }

    /// <summary>The compression estimators for <paramref name="mlContext"/> (same as <c>mlContext.Transforms.Compression</c>).</summary>
    public static CompressionCatalog Compression(this MLContext mlContext) => new(mlContext);

    // ML.NET keeps the catalog's environment private; the MLContext that created the catalog is that environment.
    // If a future ML.NET hides it differently, fall back to a fresh context (logging then goes to that context).
    private static MLContext ContextOf(TransformsCatalog catalog) =>
        EnvironmentField?.GetValue(catalog) as MLContext ?? new MLContext();
}
