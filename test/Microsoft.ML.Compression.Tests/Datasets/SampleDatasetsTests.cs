using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using Microsoft.ML.Compression.Datasets;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using SampleData;

namespace Microsoft.ML.Compression.Tests.Datasets;

[TestClass]
public sealed class SampleDatasetsTests
{
    [TestMethod]
    public void FindRepositoryDataRoot_WalksUpFromTheBinFolderToTheSolution()
    {
        string data = SampleDatasets.FindRepositoryDataRoot(AppContext.BaseDirectory);
        Assert.AreEqual("data", Path.GetFileName(data));
        Assert.IsTrue(File.Exists(Path.Combine(Path.GetDirectoryName(data)!, SampleDatasets.SolutionFileName)));
    }

    [TestMethod]
    public void FindRepositoryDataRoot_FailsOutsideTheRepository()
    {
        var e = Assert.ThrowsExactly<DirectoryNotFoundException>(() => SampleDatasets.FindRepositoryDataRoot(Path.GetTempPath()));
        StringAssert.Contains(e.Message, SampleDatasets.SolutionFileName);
    }

    [TestMethod]
    public void Ensure_ChecksArguments()
    {
        Assert.ThrowsExactly<ArgumentException>(() => SampleDatasets.EnsureMnist(" "));
        Assert.ThrowsExactly<ArgumentNullException>(() => SampleDatasets.EnsureFashionMnist(null!));
    }

    [TestMethod]
    public void FindMismatches_NamesChangedAndMissingFilesAndRecordsVerifiedOnes()
    {
        string folder = Path.Combine(Path.GetTempPath(), $"pins-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        try
        {
            string a = Path.Combine(folder, "a.bin");
            File.WriteAllText(a, "hello");
            var pins = new Dictionary<string, string>
            {
                ["a.bin"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("hello"))),
                ["b.bin"] = new string('0', 64),
            };
            CollectionAssert.AreEqual(new[] { "b.bin" }, SampleDatasets.FindMismatches(folder, pins).ToArray(), "b.bin is missing");
            string marker = Path.Combine(folder, SampleDatasets.VerifiedMarkerName);
            Assert.IsTrue(File.Exists(marker), "a verified file is recorded");
            StringAssert.Contains(File.ReadAllText(marker), pins["a.bin"]);

            // Same size, new content and time: the record no longer vouches for it, so it is hashed and caught.
            File.WriteAllText(a, "hellp");
            File.SetLastWriteTimeUtc(a, File.GetLastWriteTimeUtc(a).AddSeconds(5));
            CollectionAssert.AreEquivalent(new[] { "a.bin", "b.bin" }, SampleDatasets.FindMismatches(folder, pins).ToArray());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void MnistPinsCoverEveryFileAndTheDataMatchesThem()
    {
        CollectionAssert.AreEquivalent(MnistIdx.FileNames.ToArray(), SampleDatasets.MnistSha256.Keys.ToArray());
        CollectionAssert.AreEquivalent(FashionMnist.FileNames.ToArray(), SampleDatasets.FashionMnistSha256.Keys.ToArray());
        Assert.AreEqual(0, SampleDatasets.FindMismatches(TestData.MnistDirectory, SampleDatasets.MnistSha256).Count);
    }
}
