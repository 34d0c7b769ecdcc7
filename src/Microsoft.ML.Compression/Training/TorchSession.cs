using System.Threading;
using TorchSharp;

namespace Microsoft.ML.Compression.Training;

/// <summary>
/// Serialises the library's TorchSharp work within a process. libtorch's random seed and thread count are
/// process-wide, so two Fits running at once would reseed and retune each other: each Fit holds the session for its
/// whole run (so concurrent Fits run one after the other and give the same models as sequential ones), sets the thread
/// count it asks for and restores the previous one when it ends. Re-entrant, so a plan's steps nest inside the plan.
/// Scoring goes through ONNX Runtime and never waits here.
/// </summary>
internal static class TorchSession
{
    private static readonly object Gate = new();

    /// <summary>
    /// Waits for the session (calling <paramref name="checkAlive"/> while waiting, so cancellation is honoured), then
    /// sets <paramref name="threads"/> if given. Dispose on the same thread to restore the threads and leave.
    /// </summary>
    public static Scope Enter(Action checkAlive, int? threads)
    {
        ArgumentNullException.ThrowIfNull(checkAlive);
        while (!Monitor.TryEnter(Gate, TimeSpan.FromMilliseconds(100))) checkAlive();
        try
        {
            int before = torch.get_num_threads();
            if (threads is int t && t != before) torch.set_num_threads(t);
            return new Scope(before);
        }
        catch
        {
            Monitor.Exit(Gate);
            throw;
        }
    }

    /// <summary>Holds the session until disposed.</summary>
    internal sealed class Scope : IDisposable
    {
        private readonly int _threadsBefore;
        private bool _disposed;

        public Scope(int threadsBefore) => _threadsBefore = threadsBefore;

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            try
            {
                if (torch.get_num_threads() != _threadsBefore) torch.set_num_threads(_threadsBefore);
            }
            finally
            {
                Monitor.Exit(Gate);
            }
        }
    }
}
