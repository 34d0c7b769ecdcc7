using System;
using System.Threading;
using Microsoft.ML.Compression.Training;

namespace Microsoft.ML.Compression.Estimators;

/// <summary>Settings every training estimator shares: the training loop's options, a per-epoch callback and cancellation.</summary>
public abstract class CompressionOptions : TrainingOptions
{
    /// <summary>Called after every epoch with its metrics (e.g. to plot, or to stop early through the token).</summary>
    public Action<EpochMetrics>? OnEpoch { get; set; }

    /// <summary>Cancels training between steps.</summary>
    public CancellationToken CancellationToken { get; set; }
}
