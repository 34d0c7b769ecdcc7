namespace Microsoft.ML.Compression.Sweeps;

/// <summary>Hears about trials as a sweep runs them (e.g. to update a progress display); every method is optional.</summary>
public interface ISweepMonitor
{
    /// <summary>A trial is about to be evaluated.</summary>
    void TrialStarted(SweepTrialContext trial) { }

    /// <summary>A trial completed (its <see cref="SweepTrial.OnFront"/> says whether it is on the front so far).</summary>
    void TrialCompleted(SweepTrial trial) { }

    /// <summary>A trial's evaluator threw or reported unusable metrics; the sweep goes on.</summary>
    void TrialFailed(SweepTrial trial) { }
}
