namespace Microsoft.ML.Compression;

/// <summary>Adds <c>mlContext.Transforms.Compression</c>.</summary>
public static class TransformsCatalogExtensions
{
    extension(TransformsCatalog catalog)
    {
        /// <summary>The model-compression estimators (train, quantize, prune, distill).</summary>
        public CompressionCatalog Compression => new(catalog, MlNetInternals.EnvironmentOf(catalog));
    }

    /// <summary>The compression estimators for <paramref name="mlContext"/> (same as <c>mlContext.Transforms.Compression</c>).</summary>
    public static CompressionCatalog Compression(this MLContext mlContext)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        return new(mlContext.Transforms, MlNetInternals.EnvironmentOf(mlContext));
    }
}
