using System;
using Microsoft.ML.Compression.Datasets;
using Microsoft.ML.Compression.Training;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using SampleData;

namespace Microsoft.ML.Compression.Tests;

/// <summary>Real MNIST subsets for the tests (fetched once into the repository's git-ignored data folder).</summary>
[TestClass]
public static class TestData
{
    private static string? _mnistDirectory;

    [AssemblyInitialize]
    public static void FetchData(TestContext context)
    {
        string root = SampleDatasets.FindRepositoryDataRoot(AppContext.BaseDirectory);
        _mnistDirectory = SampleDatasets.EnsureMnist(root, Console.WriteLine);
    }

    public static string MnistDirectory => _mnistDirectory ?? throw new InvalidOperationException("MNIST was not fetched.");

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
