using Microsoft.ML.Compression.Pruning;

namespace Microsoft.ML.Compression.Analysis.Sensitivity;

/// <summary>
/// What <see cref="CompressionCatalog.AnalyzeSensitivity(StartingPoint, IDataView, SensitivityOptions)"/> tries: each
/// weight width on each layer with weights, and each prune rate on each channel group, one at a time.
/// </summary>
public sealed class SensitivityOptions
{
    /// <summary>The float vector column holding the network's input.</summary>
    public string FeatureColumnName { get; set; } = "Features";

    /// <summary>The label column (a key, or an integer class index from 0).</summary>
    public string LabelColumnName { get; set; } = "Label";

    /// <summary>
    /// Weight widths tried on each Conv2d and Linear layer alone, rounded to nearest without training: 8 (per-channel
    /// symmetric int8), 4, 2 or 1 (per-channel levels with scales fitted to the weights). Empty: no quantization rows.
    /// </summary>
    public int[] WeightBits { get; set; } = { 8, 4, 2, 1 };

    /// <summary>
    /// Prune rates tried on each channel group alone (a convolution's output channels, or a residual stage's when
    /// <see cref="Residual"/> couples them): that fraction of the group's channels with the smallest filter L1 norm
    /// is masked to zero, without fine-tuning. Empty: no pruning rows.
    /// </summary>
    public double[] PruneRates { get; set; } = { 0.25, 0.5, 0.75 };

    /// <summary>How channels across residual Adds form groups (as the pruning methods' option of the same name).</summary>
    public ResidualPruning Residual { get; set; } = ResidualPruning.Coupled;

    /// <summary>Validation rows scored per setting (the first ones); null scores them all.</summary>
    public int? MaxRows { get; set; } = 10_000;

    /// <summary>libtorch threads while scoring; null keeps libtorch's setting.</summary>
    public int? Threads { get; set; }

    /// <summary>Throws naming the option when a setting cannot work.</summary>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(FeatureColumnName, nameof(FeatureColumnName));
        ArgumentException.ThrowIfNullOrWhiteSpace(LabelColumnName, nameof(LabelColumnName));
        ArgumentNullException.ThrowIfNull(WeightBits, nameof(WeightBits));
        ArgumentNullException.ThrowIfNull(PruneRates, nameof(PruneRates));
        foreach (int bits in WeightBits)
            if (bits is not (8 or 4 or 2 or 1))
                throw new ArgumentOutOfRangeException(nameof(WeightBits), bits, "WeightBits holds widths of 8, 4, 2 or 1 bits.");
        foreach (double rate in PruneRates)
            if (!(rate > 0 && rate < 1))
                throw new ArgumentOutOfRangeException(nameof(PruneRates), rate, "PruneRates holds fractions strictly between 0 and 1.");
        if (WeightBits.Length == 0 && PruneRates.Length == 0)
            throw new ArgumentException("Both WeightBits and PruneRates are empty: there is nothing to analyse.", nameof(WeightBits));
        if (MaxRows is < 1) throw new ArgumentOutOfRangeException(nameof(MaxRows), MaxRows, "MaxRows must be at least 1 (or null for every row).");
        if (Threads is < 1) throw new ArgumentOutOfRangeException(nameof(Threads), Threads, "Threads must be at least 1 (or null for libtorch's setting).");
    }
}
