using System;
using System.Runtime.InteropServices;

namespace Benchmarks;

/// <summary>
/// glibc's count of the native heap bytes in use (mallinfo2: arena blocks in use + mmapped blocks), to tell a leak
/// from freed memory the allocator keeps or from code pages; -1 on other C libraries.
/// </summary>
internal static class NativeHeap
{
    [StructLayout(LayoutKind.Sequential)]
    private struct MallInfo2
    {
        public nuint Arena, Ordblks, Smblks, Hblks, Hblkhd, Usmblks, Fsmblks, Uordblks, Fordblks, Keepcost;
    }

    [DllImport("libc", EntryPoint = "mallinfo2")]
    private static extern MallInfo2 MallInfo();

    /// <summary>Bytes the program holds from malloc (small blocks in use plus mmapped blocks), or -1 without glibc.</summary>
    public static long InUse()
    {
        if (!OperatingSystem.IsLinux()) return -1;
        try
        {
            MallInfo2 info = MallInfo();
            return (long)(info.Uordblks + info.Hblkhd);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return -1;
        }
    }
}
