namespace Microsoft.ML.Compression.Pruning.Scop;

/// <summary>How SCOP makes the knockoff half of each batch.</summary>
public enum KnockoffKind
{
    /// <summary>Second-order model-X knockoffs fitted to the training features (<see cref="GaussianKnockoffs"/>).</summary>
    Gaussian,

    /// <summary>The batch itself in shuffled order (MindSpore Golden Stick's choice): cheap, but not exchangeable with the data.</summary>
    ShuffledBatch,
}
