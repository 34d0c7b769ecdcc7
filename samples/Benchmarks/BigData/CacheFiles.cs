using System;
using System.IO;
using System.Linq;

namespace Benchmarks.BigData;

/// <summary>Row cache files the process holds open (Linux), to report which storage DataCache Auto chose.</summary>
internal static class CacheFiles
{
    public static int Open()
    {
        const string fds = "/proc/self/fd";
        if (!Directory.Exists(fds)) return -1;
        return new DirectoryInfo(fds).GetFileSystemInfos().Count(f =>
        {
            try { return f.LinkTarget?.Contains("mlcompression-rows-", StringComparison.Ordinal) == true; }
            catch (IOException) { return false; }
        });
    }
}
