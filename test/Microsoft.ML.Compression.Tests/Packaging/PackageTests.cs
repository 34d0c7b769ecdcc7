using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Microsoft.ML.Compression.Zoo;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using SampleData;

namespace Microsoft.ML.Compression.Tests.Packaging;

/// <summary>
/// Packs the library with <c>dotnet pack</c> and uses the package as an application would: a separate console project,
/// restored from a local folder feed, trains and quantizes. The in-repository tests use a project reference, so only
/// this catches a package that lacks a file, a dependency or the TorchSharp load fix (buildTransitive) for consumers.
/// </summary>
[TestClass]
public sealed class PackageTests
{
    private const string PackageId = "Microsoft.ML.Compression";

    // Generous: on a machine with a cold package cache, restoring TorchSharp's native packages alone takes minutes.
    private static readonly TimeSpan PackTimeout = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(8);

    private static string _repoRoot = null!;
    private static string _work = null!;
    private static string _nupkg = null!;
    private static string _version = null!;

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static void PackIntoALocalFeed(TestContext context)
    {
        _repoRoot = Path.GetDirectoryName(SampleDatasets.FindRepositoryDataRoot(AppContext.BaseDirectory))!;
        _work = Path.Combine(Path.GetTempPath(), $"mlcompression-package-{Guid.NewGuid():N}");
        try
        {
            string feed = Path.Combine(_work, "feed");
            Directory.CreateDirectory(feed);
            var clock = Stopwatch.StartNew();
            Dotnet(_repoRoot, PackTimeout, "pack", Path.Combine(_repoRoot, "src", PackageId), "-c", "Release", "-o", feed, "--disable-build-servers");
            context.WriteLine($"dotnet pack took {clock.Elapsed.TotalSeconds:F0} s");

            string[] packages = Directory.GetFiles(feed, "*.nupkg");
            Assert.HasCount(1, packages, $"dotnet pack left {packages.Length} packages in {feed}.");
            _nupkg = packages[0];
            // The version comes from the library project, through the package it produced.
            _version = Metadata(ReadNuspec(_nupkg), "version")!.Value;
        }
        catch
        {
            DeleteWorkFolder();
            throw;
        }
    }

    [ClassCleanup]
    public static void DeleteWorkFolder()
    {
        if (_work is not null && Directory.Exists(_work))
            Directory.Delete(_work, recursive: true);
    }

    [TestMethod]
    public void Package_HoldsBothFrameworks_TheirDocs_TheReadme_AndTheTorchSharpFix()
    {
        using ZipArchive zip = ZipFile.OpenRead(_nupkg);
        var entries = zip.Entries.Select(e => e.FullName).ToHashSet(StringComparer.Ordinal);
        string[] expected =
        {
            $"lib/net10.0/{PackageId}.dll", $"lib/net10.0/{PackageId}.xml",
            $"lib/net8.0/{PackageId}.dll", $"lib/net8.0/{PackageId}.xml",
            "README.md",
            $"buildTransitive/{PackageId}.targets", $"build/{PackageId}.targets",
        };
        string[] missing = expected.Where(e => !entries.Contains(e)).ToArray();
        Assert.IsEmpty(missing, $"Missing from the package: {string.Join(", ", missing)}. It holds: {string.Join(", ", entries.Order())}");

        Assert.AreEqual(File.ReadAllText(Path.Combine(_repoRoot, "README.md")), ReadEntry(zip, "README.md"));
        Assert.AreEqual(File.ReadAllText(Path.Combine(_repoRoot, "build", $"{PackageId}.targets")), ReadEntry(zip, $"buildTransitive/{PackageId}.targets"));
        StringAssert.Contains(ReadEntry(zip, $"lib/net8.0/{PackageId}.xml"), "T:Microsoft.ML.Compression.Zoo.NetworkZoo");
        StringAssert.Contains(ReadEntry(zip, $"lib/net10.0/{PackageId}.xml"), "T:Microsoft.ML.Compression.Zoo.NetworkZoo");

        XDocument nuspec = ReadNuspec(_nupkg);
        Assert.AreEqual("MIT", Metadata(nuspec, "license")?.Value);
        Assert.AreEqual("README.md", Metadata(nuspec, "readme")?.Value);
        XElement? repository = Metadata(nuspec, "repository");
        Assert.AreEqual("git", repository?.Attribute("type")?.Value, nuspec.ToString());
        Assert.MatchesRegex("^[0-9a-f]{40}$", repository?.Attribute("commit")?.Value ?? "", nuspec.ToString());
        string[] dependencies = nuspec.Descendants(nuspec.Root!.Name.Namespace + "dependency").Select(d => d.Attribute("id")!.Value).Distinct().ToArray();
        CollectionAssert.Contains(dependencies, "TorchSharp-cpu");
        CollectionAssert.DoesNotContain(dependencies, "Grpc.Tools", "A build-time code generator must not reach consumers.");

        // The assembly these tests were built against carries the same version as the package.
        string informational = typeof(NetworkZoo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;
        Assert.AreEqual(informational.Split('+')[0], _version);
    }

    [TestMethod]
    public void ConsoleAppBuiltAgainstThePackage_TrainsAndQuantizes()
    {
        // The app restores into its own package folder so that the package just packed is the one it gets (the machine's
        // cache may hold an older build under the same version); the machine's cache serves every other package as a
        // fallback folder, which spares copying TorchSharp's native libraries. A package found there would win, though.
        string machineCache = MachinePackageCache();
        string stale = Path.Combine(machineCache, PackageId.ToLowerInvariant(), _version.ToLowerInvariant());
        if (Directory.Exists(stale))
            Assert.Fail($"{stale} would be used instead of the package just packed; delete that folder and run again.");

        string app = Path.Combine(_work, "app");
        string packages = Path.Combine(_work, "packages");
        Directory.CreateDirectory(app);
        // Empty Directory.* files stop MSBuild from importing whatever lies above the temp folder.
        foreach (string name in new[] { "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props" })
            File.WriteAllText(Path.Combine(_work, name), "<Project />\n");
        // <add> without <clear/>: the machine's default sources stay available for the package's dependencies.
        new XDocument(new XElement("configuration",
            new XElement("config", Add("globalPackagesFolder", packages)),
            new XElement("packageSources", Add("local-feed", Path.GetDirectoryName(_nupkg)!)),
            new XElement("fallbackPackageFolders", Add("machine-cache", machineCache)))).Save(Path.Combine(_work, "NuGet.config"));
        File.WriteAllText(Path.Combine(app, "Consumer.csproj"), ConsumerProject(_version));
        File.WriteAllText(Path.Combine(app, "Program.cs"), ConsumerProgram);

        var clock = Stopwatch.StartNew();
        string output = Dotnet(app, RunTimeout, "run", "-c", "Release", "--disable-build-servers");
        TestContext.WriteLine($"dotnet run (restore, build, train, quantize, evaluate) took {clock.Elapsed.TotalSeconds:F0} s");

        Assert.IsTrue(Directory.Exists(Path.Combine(packages, PackageId.ToLowerInvariant(), _version)),
            $"The app did not restore {PackageId} {_version} from the local feed.\n{output}");
        StringAssert.Contains(File.ReadAllText(Path.Combine(app, "obj", "Consumer.csproj.nuget.g.targets")), $"buildTransitive/{PackageId}.targets",
            "The app does not import the package's TorchSharp load fix.");

        Match m = Regex.Match(output, @"PACKAGE-CHECK fp32-accuracy=(?<fa>[0-9.]+) int8-accuracy=(?<ia>[0-9.]+) fp32-onnx-bytes=(?<fb>\d+) int8-onnx-bytes=(?<ib>\d+) pid=(?<pid>\d+)");
        Assert.IsTrue(m.Success, $"The app printed no PACKAGE-CHECK line:\n{output}");
        double fp32Accuracy = double.Parse(m.Groups["fa"].Value, CultureInfo.InvariantCulture);
        double int8Accuracy = double.Parse(m.Groups["ia"].Value, CultureInfo.InvariantCulture);
        long fp32Bytes = long.Parse(m.Groups["fb"].Value, CultureInfo.InvariantCulture);
        long int8Bytes = long.Parse(m.Groups["ib"].Value, CultureInfo.InvariantCulture);
        TestContext.WriteLine(m.Value);
        // Three balanced classes: guessing scores 1/3.
        Assert.IsGreaterThan(0.5, fp32Accuracy, m.Value);
        Assert.IsGreaterThan(0.5, int8Accuracy, m.Value);
        // int8 weights take a quarter of fp32's bytes; the graph's scales and QDQ nodes add a little.
        Assert.IsLessThan(fp32Bytes / 2, int8Bytes, m.Value);
        // The app ended without disposing its models: its folder of short-lived ONNX files went with it.
        string root = Path.Combine(Path.GetTempPath(), "mlcompression");
        string[] left = Directory.Exists(root) ? Directory.GetDirectories(root, m.Groups["pid"].Value + "-*") : Array.Empty<string>();
        Assert.AreEqual(0, left.Length, $"left behind: {string.Join(", ", left)}");
    }

    private static string ConsumerProject(string version) => $$"""
        <Project Sdk="Microsoft.NET.Sdk">
          <PropertyGroup>
            <OutputType>Exe</OutputType>
            <TargetFramework>net10.0</TargetFramework>
            <Nullable>enable</Nullable>
          </PropertyGroup>
          <ItemGroup>
            <PackageReference Include="{{PackageId}}" Version="{{version}}" />
          </ItemGroup>
        </Project>
        """;

    private const string ConsumerProgram = """
        using System;
        using Microsoft.ML;
        using Microsoft.ML.Compression;
        using Microsoft.ML.Compression.Estimators;
        using Microsoft.ML.Compression.Quantization;
        using Microsoft.ML.Compression.Zoo;
        using Microsoft.ML.Data;

        var ml = new MLContext(seed: 0);
        IDataView train = ml.Data.LoadFromEnumerable(Rows(256, seed: 1));
        IDataView test = ml.Data.LoadFromEnumerable(Rows(96, seed: 2));

        // Not disposed on purpose: the process ends with both models alive, and must leave no ONNX file behind.
        var fp32 = ml.Transforms.Compression.Train(NetworkZoo.LeNet5(), "Features", "Label", epochs: 1, batchSize: 8).Fit(train);
        // Check = Off: int8 whatever the timings (a model this small may run faster in float).
        var int8 = ml.Transforms.Compression.PostTrainingQuantization(fp32, new PostTrainingQuantizer.Options
        {
            CalibrationSamples = 64, Latency = new Int8LatencyOptions { Check = Int8LatencyCheck.Off },
        }).Fit(train);
        double fp32Accuracy = ml.MulticlassClassification.Evaluate(fp32.Transform(test)).MicroAccuracy;
        double int8Accuracy = ml.MulticlassClassification.Evaluate(int8.Transform(test)).MicroAccuracy;
        Console.WriteLine(FormattableString.Invariant(
            $"PACKAGE-CHECK fp32-accuracy={fp32Accuracy:F4} int8-accuracy={int8Accuracy:F4} fp32-onnx-bytes={fp32.OnnxModel.Length} int8-onnx-bytes={int8.OnnxModel.Length} pid={Environment.ProcessId}"));

        // Three classes that differ in which third of the 28x28 image is bright, under uniform noise.
        static Row[] Rows(int count, int seed)
        {
            var random = new Random(seed);
            var rows = new Row[count];
            for (int i = 0; i < count; i++)
            {
                int label = i % 3;
                var pixels = new float[784];
                for (int p = 0; p < pixels.Length; p++)
                    pixels[p] = (p / 28 * 3 / 28 == label ? 0.7f : 0f) + 0.3f * random.NextSingle();
                rows[i] = new Row { Features = pixels, Label = (uint)label + 1 };
            }
            return rows;
        }

        sealed class Row
        {
            [VectorType(784)] public float[] Features { get; set; } = [];
            [KeyType(10)] public uint Label { get; set; }
        }
        """;

    private static XElement Add(string key, string value) => new("add", new XAttribute("key", key), new XAttribute("value", value));

    private static XDocument ReadNuspec(string nupkg)
    {
        using ZipArchive zip = ZipFile.OpenRead(nupkg);
        ZipArchiveEntry entry = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal) && !e.FullName.Contains('/'));
        using Stream stream = entry.Open();
        return XDocument.Load(stream);
    }

    private static XElement? Metadata(XDocument nuspec, string name)
    {
        XNamespace ns = nuspec.Root!.Name.Namespace;
        return nuspec.Root.Element(ns + "metadata")?.Element(ns + name);
    }

    private static string ReadEntry(ZipArchive zip, string name)
    {
        using var reader = new StreamReader(zip.GetEntry(name)!.Open());
        return reader.ReadToEnd();
    }

    private static string MachinePackageCache()
    {
        string? fromEnvironment = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        if (!string.IsNullOrEmpty(fromEnvironment))
            return Path.GetFullPath(fromEnvironment);
        string output = Dotnet(_work, PackTimeout, "nuget", "locals", "global-packages", "--list");
        Match m = Regex.Match(output, @"global-packages:\s*(?<path>\S.*?)\s*$", RegexOptions.Multiline);
        Assert.IsTrue(m.Success, $"Could not find the machine's package cache in:\n{output}");
        return m.Groups["path"].Value;
    }

    /// <summary>Runs the dotnet CLI and returns its output; fails the test, with the output, on a non-zero exit or timeout.</summary>
    private static string Dotnet(string workingDirectory, TimeSpan timeout, params string[] arguments)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            WorkingDirectory = workingDirectory,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string argument in arguments)
            start.ArgumentList.Add(argument);
        // dotnet test hands MSBuild's own variables (SDK paths, node settings) down to the test host; a child build
        // must start clean. NUGET_PACKAGES would override the app's package folder.
        foreach (string name in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToArray())
            start.Environment.Remove(name);
        start.Environment.Remove("NUGET_PACKAGES");
        // No MSBuild node or compiler server may outlive the command: it would keep the output pipes open.
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";

        string command = $"dotnet {string.Join(' ', arguments)} (in {workingDirectory})";
        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        DataReceivedEventHandler append = (_, e) =>
        {
            if (e.Data is null) return;
            lock (output) output.AppendLine(e.Data);
        };
        process.OutputDataReceived += append;
        process.ErrorDataReceived += append;
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(timeout))
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            process.WaitForExit();
            Assert.Fail($"'{command}' did not finish within {timeout.TotalMinutes} minutes:\n{Tail(output)}");
        }
        process.WaitForExit(); // lets the asynchronous readers drain
        Assert.AreEqual(0, process.ExitCode, $"'{command}' exited with {process.ExitCode}:\n{Tail(output)}");
        return output.ToString();
    }

    private static string Tail(StringBuilder output)
    {
        lock (output)
        {
            string text = output.ToString();
            return text.Length <= 20_000 ? text : "...\n" + text[^20_000..];
        }
    }
}
