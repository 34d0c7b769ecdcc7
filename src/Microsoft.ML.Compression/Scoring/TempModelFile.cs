using System.Diagnostics;
using System.Globalization;
using System.IO;

namespace Microsoft.ML.Compression.Scoring;

/// <summary>
/// The ONNX file ML.NET's OnnxTransformer needs: it loads the model from a path, and reads the path again when the
/// model is saved. The file exists only while ONNX Runtime loads it and while a save reads it; in between (and after
/// Dispose, a failed Fit or the process's end) it is gone, so nothing piles up in the temp folder. Files live in a
/// folder per process; folders of processes that no longer run (a crash) are removed when the next process starts.
/// </summary>
internal sealed class TempModelFile : IDisposable
{
    private static readonly Lazy<string> Folder = new(CreateProcessFolder);
    private readonly byte[] _bytes;
    private readonly object _gate = new();
    private int _readers;

    /// <summary>Writes <paramref name="bytes"/> to a new file in this process's folder.</summary>
    public TempModelFile(byte[] bytes)
    {
        _bytes = bytes;
        Path = System.IO.Path.Combine(Folder.Value, $"model-{Guid.NewGuid():N}.onnx");
        Write();
        _readers = 1;
    }

    /// <summary>Where the file is (while it exists).</summary>
    public string Path { get; }

    /// <summary>The folder of this process's model files.</summary>
    internal static string ProcessFolder => Folder.Value;

    /// <summary>The folder that holds every process's folder.</summary>
    internal static string RootFolder => System.IO.Path.Combine(System.IO.Path.GetTempPath(), "mlcompression");

    /// <summary>Ends the first use (loading): the file goes until <see cref="Materialize"/> needs it again.</summary>
    public void Release() => EndRead();

    /// <summary>Puts the file back (for a save that reads it) until the returned scope is disposed.</summary>
    public IDisposable Materialize()
    {
        lock (_gate)
        {
            if (_readers++ == 0 || !File.Exists(Path)) Write();
        }
        return new ReadScope(this);
    }

    // The folder is made again if something removed it (it is only a place for short-lived files).
    private void Write()
    {
        Directory.CreateDirectory(Folder.Value);
        File.WriteAllBytes(Path, _bytes);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            _readers = 0;
            TryDelete(Path);
        }
    }

    private void EndRead()
    {
        lock (_gate)
        {
            if (_readers > 0 && --_readers == 0) TryDelete(Path);
        }
    }

    // On Windows a file ONNX Runtime or ML.NET still holds open cannot be deleted; it goes with the process's folder.
    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    private static string CreateProcessFolder()
    {
        SweepDeadProcesses(RootFolder);
        string folder = System.IO.Path.Combine(RootFolder, FolderName(Environment.ProcessId, ProcessStart(Process.GetCurrentProcess())));
        Directory.CreateDirectory(folder);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => TryDeleteFolder(folder);
        return folder;
    }

    /// <summary>Removes the folders of processes that are no longer running (a process that crashed leaves one).</summary>
    internal static void SweepDeadProcesses(string root)
    {
        if (!Directory.Exists(root)) return;
        foreach (string folder in Directory.GetDirectories(root))
        {
            string[] parts = System.IO.Path.GetFileName(folder).Split('-');
            if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int pid)) continue;
            if (!IsRunning(pid, parts[1])) TryDeleteFolder(folder);
        }
    }

    private static void TryDeleteFolder(string folder)
    {
        try { Directory.Delete(folder, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    private static bool IsRunning(int pid, string start)
    {
        try
        {
            using Process process = Process.GetProcessById(pid);
            // A reused process id has another start time. Processes see each other's start time a little differently
            // (on Linux it is derived from the uptime), so nearby times count as the same.
            return long.TryParse(start, NumberStyles.None, CultureInfo.InvariantCulture, out long ticks)
                && Math.Abs(process.StartTime.ToUniversalTime().Ticks - ticks) <= TimeSpan.TicksPerSecond * 5;
        }
        catch (ArgumentException) { return false; } // no such process
        catch (InvalidOperationException) { return false; } // it has exited
        catch (System.ComponentModel.Win32Exception) { return true; } // cannot tell: leave it
    }

    private static string ProcessStart(Process process) =>
        process.StartTime.ToUniversalTime().Ticks.ToString(CultureInfo.InvariantCulture);

    private static string FolderName(int pid, string start) => $"{pid.ToString(CultureInfo.InvariantCulture)}-{start}";

    private sealed class ReadScope : IDisposable
    {
        private TempModelFile? _file;

        public ReadScope(TempModelFile file) => _file = file;

        public void Dispose()
        {
            _file?.EndRead();
            _file = null;
        }
    }
}
