using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Pruning;
using Microsoft.ML.SearchSpace;

namespace Microsoft.ML.Compression.Estimators;

/// <summary>
/// Settings every structured pruning method shares: how much to remove, how residual channels are treated, layers to
/// leave alone, and (through <see cref="Training.TrainingOptions.Epochs"/>) the fine-tuning after removal.
/// Defaults suit fine-tuning a trained model: 3 epochs, learning rate 0.01, cosine.
/// </summary>
public abstract class PruningOptions : CompressionOptions
{
    /// <summary>Creates options with fine-tuning defaults.</summary>
    protected PruningOptions()
    {
        Epochs = 3;
        LearningRate = 0.01;
    }

    /// <summary>Fraction of the prunable convolution channels to remove, in [0, 1). Default 0.5.</summary>
    [Range(0.0, 0.95, 0.5, false)]
    public double PruneRate { get; set; } = 0.5;

    /// <summary>
    /// Channels summed by residual Adds: pruned together across the residual stage (<see cref="ResidualPruning.Coupled"/>,
    /// default) or kept (<see cref="ResidualPruning.KeepWidth"/>).
    /// </summary>
    [Choice(new object[] { ResidualPruning.Coupled, ResidualPruning.KeepWidth }, ResidualPruning.Coupled)]
    public ResidualPruning Residual { get; set; } = ResidualPruning.Coupled;

    /// <summary>
    /// Every pruned layer keeps a multiple of this many channels (rounded up, so slightly fewer are removed than
    /// <see cref="PruneRate"/> asks). 8 suits ONNX Runtime's CPU convolutions, which run much slower on odd widths.
    /// Default 1 (exactly the rate).
    /// </summary>
    [Range(1, 16, 1, false)]
    public int ChannelMultiple { get; set; } = 1;

    /// <summary>Convolutions whose output channels all stay. Default none.</summary>
    public string[] ExcludeLayers { get; set; } = Array.Empty<string>();

    /// <summary>The channel dependencies of <paramref name="graph"/> under these options' residual mode and exclusions.</summary>
    internal ChannelDependencies Dependencies(NetworkGraph graph, bool linearUnits = false) =>
        new(graph, Residual, ExcludeLayers, nameof(ExcludeLayers), linearUnits);

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        if (!(PruneRate >= 0 && PruneRate < 1))
            throw new ArgumentOutOfRangeException(nameof(PruneRate), PruneRate, "PruneRate must be in [0, 1) (the fraction of channels to remove).");
        if (!Enum.IsDefined(Residual))
            throw new ArgumentOutOfRangeException(nameof(Residual), Residual, "Unknown residual pruning mode.");
        if (ChannelMultiple < 1)
            throw new ArgumentOutOfRangeException(nameof(ChannelMultiple), ChannelMultiple, "ChannelMultiple must be at least 1.");
        ArgumentNullException.ThrowIfNull(ExcludeLayers, nameof(ExcludeLayers));
    }
}
