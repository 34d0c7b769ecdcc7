using System.Runtime;

namespace Microsoft.ML.Compression.Training;

/// <summary>
/// Runs native calls during which no garbage collection may happen. TorchSharp 0.107's optimizers pass temporary
/// Scalars (learning rate, momentum, weight decay) to libtorch by handle without keeping them alive, so a collection
/// during <c>optimizer.step()</c> can finalize one while libtorch reads it (seen as a rare "toFloat" failure inside
/// SGD.step in a test run). Inside a no-GC region nothing is collected, hence nothing finalized.
/// </summary>
internal static class NoCollection
{
    // Far more than a step allocates (a few small wrappers per parameter group).
    private const long Budget = 4L * 1024 * 1024;

    /// <summary>Runs <paramref name="action"/> in a no-GC region when the runtime grants one (else runs it anyway).</summary>
    public static void Run(Action action)
    {
        bool paused = false;
        try
        {
            paused = GCSettings.LatencyMode != GCLatencyMode.NoGCRegion && GC.TryStartNoGCRegion(Budget);
        }
        catch (InvalidOperationException)
        {
            // Another thread holds a region; the step runs as before.
        }
        try
        {
            action();
        }
        finally
        {
            if (paused && GCSettings.LatencyMode == GCLatencyMode.NoGCRegion)
            {
                try { GC.EndNoGCRegion(); }
                catch (InvalidOperationException) { } // the region ended early (its budget was used up)
            }
        }
    }
}
