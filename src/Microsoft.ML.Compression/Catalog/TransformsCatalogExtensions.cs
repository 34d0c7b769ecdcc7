using System;
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
        public CompressionCatalog Compression => new(catalog, EnvironmentOf(catalog));
    }

    /// <summary>The compression estimators for <paramref name="mlContext"/> (same as <c>mlContext.Transforms.Compression</c>).</summary>
    public static CompressionCatalog Compression(this MLContext mlContext)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        return new(mlContext.Transforms, EnvironmentOf(mlContext.Transforms));
    }

    // ML.NET keeps a catalog's environment (the MLContext's own LocalEnvironment, which feeds MLContext.Log) private.
    // If a future ML.NET hides it differently, fall back to a fresh context: everything works, but log messages
    // then go to that context instead of the caller's.
    private static IHostEnvironment EnvironmentOf(TransformsCatalog catalog) =>
        EnvironmentField?.GetValue(catalog) as IHostEnvironment ?? new MLContext();
}
