using System;
using System.Threading;
using Microsoft.ML.Compression.Datasets;
using Microsoft.ML.Compression.Training;
using SampleData;

namespace Microsoft.ML.Compression.Tests;

/// <summary>
/// Real MNIST subsets for the tests, fetched (and SHA-256 verified) into the repository's git-ignored data folder on
/// first use, so tests that need no data run offline.
/// </summary>
/// <remarks>
/// The environment variable <see cref="DataRootVariable"/>, when set, names another data folder (e.g. an empty one
/// with npm off the PATH, to check which tests run without data).
/// </remarks>
public static class TestData
{
    /// <summary>Environment variable naming the data folder instead of the repository's <c>data</c>.</summary>
    public const string DataRootVariable = "COMPRESSION_TEST_DATA_ROOT";

    // PublicationOnly: a failed fetch is not cached, so each test that needs the data reports the same one-line reason.
    // Threads that ask at once may each call EnsureMnist, whose process-wide lock lets one fetch and the rest find the
    // files.
    private static readonly Lazy<string> _mnistDirectory = new(
        () => SampleDatasets.EnsureMnist(DataRoot, Console.WriteLine), LazyThreadSafetyMode.PublicationOnly);

    /// <summary>The data folder: <see cref="DataRootVariable"/> if set, else the repository's.</summary>
    public static string DataRoot =>
        Environment.GetEnvironmentVariable(DataRootVariable) is { Length: > 0 } root
            ? root
            : SampleDatasets.FindRepositoryDataRoot(AppContext.BaseDirectory);

    /// <summary>The MNIST folder, fetched on first use.</summary>
    public static string MnistDirectory => _mnistDirectory.Value;

    /// <summary>The first <paramref name="rows"/> MNIST rows of a split as an IDataView (Features float[784], Label key).</summary>
    public static IDataView Mnist(MLContext ml, MnistSplit split, int rows) => MnistIdx.Load(ml, MnistDirectory, split, rows);

    /// <summary>The same rows as tensors-ready arrays (in memory).</summary>
    public static LabeledDataset MnistArrays(MnistSplit split, int rows) =>
        LabeledDataset.Read(Mnist(new MLContext(0), split, rows), "Features", "Label", 784, 10, caching: DataCaching.Memory);

    /// <summary>The features of the first <paramref name="rows"/> rows of a split, row-major.</summary>
    public static float[] MnistFeatures(MnistSplit split, int rows)
    {
        using LabeledDataset data = MnistArrays(split, rows);
        return data.ReadRows(0, data.Count);
    }
}
