using System;
using System.IO;
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
}
