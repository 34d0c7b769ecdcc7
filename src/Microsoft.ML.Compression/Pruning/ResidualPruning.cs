namespace Microsoft.ML.Compression.Pruning;

/// <summary>How structured pruning treats channels that a residual Add sums.</summary>
public enum ResidualPruning
{
    /// <summary>
    /// Prune them, together: a channel of a residual stage goes from every convolution feeding the stage's Adds
    /// (the stem or downsample convolution and each block's last convolution) at once. Shrinks the whole network.
    /// </summary>
    Coupled,

    /// <summary>Keep residual widths: only channels inside blocks (not summed by an Add) are pruned. Safer for accuracy, smaller savings.</summary>
    KeepWidth,
}
