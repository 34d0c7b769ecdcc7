using System;
using System.Diagnostics;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Xml.Linq;
using Microsoft.ML.Compression.Tests.Fixtures;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Compression.Tests.Cli;

/// <summary>
/// The tool as users get it: <c>dotnet pack</c> of the built tool, <c>dotnet tool install --tool-path</c> from that
/// folder feed, then the installed <c>mlnet-compress</c> quantizes a model. A tool package is unpacked without a build,
/// so this catches a package whose TorchSharp was not patched (on Debian 12 libtorch would not load) or that lacks files.
/// </summary>
[TestClass]
public sealed class ToolPackageTests
{
    private const string PackageId = "Microsoft.ML.Compression.Cli";
    private static readonly TimeSpan PackTimeout = TimeSpan.FromMinutes(8);

    private static string _work = null!;
    private static string _nupkg = null!;

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static void PackTheBuiltTool(TestContext context)
    {
        _work = Path.Combine(Path.GetTempPath(), $"mlnet-compress-package-{Guid.NewGuid():N}");
        string feed = Directory.CreateDirectory(Path.Combine(_work, "feed")).FullName;
        var clock = Stopwatch.StartNew();
        // --no-build: the test build already built the tool in this configuration; packing publishes it.
        var pack = CliProcess.Start("dotnet", PackTimeout, CliProcess.RepositoryRoot, "pack", Path.Combine("src", PackageId),
            "-c", CliProcess.Configuration, "--no-build", "-o", feed, "--disable-build-servers");
        Assert.AreEqual(0, pack.ExitCode, pack.ToString());
        context.WriteLine($"dotnet pack took {clock.Elapsed.TotalSeconds:F0} s");
        _nupkg = Directory.GetFiles(feed, "*.nupkg").Single();
    }

    [ClassCleanup]
    public static void DeleteWorkFolder()
    {
        if (_work is not null && Directory.Exists(_work)) Directory.Delete(_work, recursive: true);
    }

    [TestMethod]
    public void InstalledTool_QuantizesLikeTheBuiltTool()
    {
        using (ZipArchive zip = ZipFile.OpenRead(_nupkg))
        {
            var entries = zip.Entries.Select(e => e.FullName).ToHashSet();
            foreach (string expected in new[] { "tools/net10.0/any/DotnetToolSettings.xml", $"tools/net10.0/any/{PackageId}.dll",
                         "tools/net10.0/any/runtimes/linux-x64/native/libLibTorchSharp.so", "tools/net10.0/any/runtimes/linux-x64/native/libtorch_cpu.so" })
                Assert.Contains(expected, entries);
            using var settings = zip.GetEntry("tools/net10.0/any/DotnetToolSettings.xml")!.Open();
            Assert.AreEqual("mlnet-compress", XDocument.Load(settings).Descendants("Command").Single().Attribute("Name")!.Value);
        }

        // Its own package folder and only the feed as source, so no earlier install in the machine's cache is used.
        string tools = Path.Combine(_work, "tools");
        new XDocument(new XElement("configuration",
            new XElement("config", new XElement("add", new XAttribute("key", "globalPackagesFolder"), new XAttribute("value", Path.Combine(_work, "packages")))),
            new XElement("packageSources", new XElement("clear"),
                new XElement("add", new XAttribute("key", "feed"), new XAttribute("value", Path.GetDirectoryName(_nupkg)!))))).Save(Path.Combine(_work, "NuGet.config"));
        var install = CliProcess.Start("dotnet", TimeSpan.FromMinutes(5), _work, "tool", "install", "--tool-path", tools,
            "--configfile", Path.Combine(_work, "NuGet.config"), PackageId);
        Assert.AreEqual(0, install.ExitCode, install.ToString());

        string fixture = OnnxFixtures.Get("lenet_bn_opset9").Path;
        string images = Path.Combine(TestData.MnistDirectory, "t10k-images-idx3-ubyte");
        string installedOutput = Path.Combine(_work, "installed.onnx"), builtOutput = Path.Combine(_work, "built.onnx");
        string command = Path.Combine(tools, OperatingSystem.IsWindows() ? "mlnet-compress.exe" : "mlnet-compress");
        var installed = CliProcess.Start(command, TimeSpan.FromMinutes(3), _work,
            "quantize", fixture, "--calibration", images, "--max-images", "100", "-o", installedOutput, "--latency-check", "off");
        Assert.AreEqual(0, installed.ExitCode, installed.ToString());
        // --latency-check off: byte-identical outputs must not depend on two runs' timings.
        var built = CliProcess.Run("quantize", fixture, "--calibration", images, "--max-images", "100", "-o", builtOutput, "--latency-check", "off");
        Assert.AreEqual(0, built.ExitCode, built.ToString());
        CollectionAssert.AreEqual(File.ReadAllBytes(builtOutput), File.ReadAllBytes(installedOutput), "the installed tool wrote other bytes than the built one");
    }
}
