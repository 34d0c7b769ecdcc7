using Microsoft.ML.Compression.Graph;

namespace Microsoft.ML.Compression.Training;

/// <summary>
/// A training hook whose state beyond the module's parameters and buffers can be kept in a checkpoint (and in the
/// snapshot a cancelled run goes back to), so a run with it can resume (<see cref="TrainingOptions.CheckpointDirectory"/>).
/// The loop refuses checkpoints for runs with any other hook.
/// </summary>
internal interface ICheckpointedHook
{
    /// <summary>The hook's settings that must match for a checkpoint to continue a run (joins the checkpoint's fingerprint).</summary>
    string Fingerprint { get; }

    /// <summary>The hook's state as named float arrays (copies).</summary>
    IReadOnlyDictionary<string, float[]> SaveState();

    /// <summary>Restores <paramref name="state"/> as it was after <paramref name="step"/> completed steps.</summary>
    void LoadState(GraphModule module, IReadOnlyDictionary<string, float[]> state, long step);
}
