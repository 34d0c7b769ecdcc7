using System;
using System.Diagnostics;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Compression.Datasets;
using Microsoft.ML.Data;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using SampleData;

namespace Microsoft.ML.Compression.Tests.Datasets;

/// <summary>Checks against the real MNIST files, fetched once into the repository's data folder.</summary>
[TestClass]
public sealed class MnistDataTests
{
    private static string _dir = null!;

    [ClassInitialize]
    public static void FetchOnce(TestContext context)
        => _dir = TestData.MnistDirectory;

    [TestMethod]
    public void TrainSplit_HasSixtyThousandImagesOfTheKnownShape()
    {
        var clock = Stopwatch.StartNew();
        LabeledImages train = MnistIdx.Read(_dir, MnistSplit.Train);
        Console.WriteLine($"MNIST train read in {clock.ElapsedMilliseconds} ms");

        Assert.AreEqual(60_000, train.Count);
        Assert.AreEqual(28, train.Rows);
        Assert.AreEqual(28, train.Cols);
        Assert.AreEqual(60_000 * 784, train.Features.Length);
        Assert.IsTrue(train.Features.All(v => v >= 0f && v <= 1f));
        Assert.AreEqual(1f, train.Features.Max());
        Assert.AreEqual(5u, train.Labels[0], "The first MNIST training image is a 5.");
        Assert.AreEqual(0u, train.Labels[1]);
        Assert.AreEqual(4u, train.Labels[2]);
        // Every digit is present in the usual proportions (5,421 fives is the rarest class).
        var counts = train.Labels.GroupBy(l => l).ToDictionary(g => g.Key, g => g.Count());
        Assert.AreEqual(10, counts.Count);
        Assert.AreEqual(5421, counts[5]);
    }

    [TestMethod]
    public void TestSplit_LoadsAsDataViewWithTenClassKey()
    {
        var clock = Stopwatch.StartNew();
        IDataView test = MnistIdx.Load(new MLContext(1), _dir, MnistSplit.Test);
        var (features, raw) = DataViewTestHelpers.ReadAll(test);
        Console.WriteLine($"MNIST test loaded and enumerated in {clock.ElapsedMilliseconds} ms");

        Assert.AreEqual(10_000L, test.GetRowCount());
        Assert.AreEqual(10_000, raw.Count);
        Assert.AreEqual(784, ((VectorDataViewType)test.Schema["Features"].Type).Size);
        Assert.AreEqual(10UL, ((KeyDataViewType)test.Schema["Label"].Type).Count);
        Assert.AreEqual(1u, raw.Min());
        Assert.AreEqual(10u, raw.Max());
        Assert.AreEqual(8u, raw[0], "The first MNIST test image is a 7, raw key 8.");
        Assert.IsTrue(features.All(f => f.Length == 784 && f.All(v => v >= 0f && v <= 1f)));
    }

    [TestMethod]
    public void TrainSplit_DataViewStartsWithFive()
    {
        IDataView train = MnistIdx.Load(new MLContext(1), _dir, MnistSplit.Train, maxRows: 100);
        Assert.AreEqual(100L, train.GetRowCount());
        var (_, raw) = DataViewTestHelpers.ReadAll(train);
        Assert.AreEqual(6u, raw[0], "Digit 5 is raw key 6.");
    }

    [TestMethod]
    public void EnsureMnist_IsIdempotent()
    {
        string? message = null;
        string again = SampleDatasets.EnsureMnist(TestData.DataRoot, m => message = m);
        Assert.AreEqual(_dir, again);
        Assert.IsNull(message, "Nothing should be fetched when the files are present.");
    }
}
