using System;
using System.Diagnostics;
using System.IO;
using System.Linq;

namespace Benchmarks.BigData;

/// <summary>The process's peak working set (Linux: VmHWM, which can be reset between parts of a run).</summary>
internal static class PeakMemory
{
    private const string Status = "/proc/self/status", ClearRefs = "/proc/self/clear_refs";

    public static string Method => File.Exists(Status) ? "VmHWM (/proc/self/status)" : "Process.PeakWorkingSet64";

    /// <summary>Starts a new peak at the current working set (Linux; elsewhere the peak covers the whole process).</summary>
    public static void Reset()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        // Writing 5 to clear_refs resets the peak resident set size (Linux 4.0+).
        try { if (File.Exists(ClearRefs)) File.WriteAllText(ClearRefs, "5"); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>Peak working set in bytes.</summary>
    public static long Bytes()
    {
        if (File.Exists(Status))
        {
            string? line = File.ReadLines(Status).FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            if (line is not null) return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        }
        using var process = Process.GetCurrentProcess();
        return process.PeakWorkingSet64;
    }
}
