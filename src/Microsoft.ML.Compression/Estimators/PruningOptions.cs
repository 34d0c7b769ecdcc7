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

    /// <summary>
    /// Fraction of the prunable convolution channels to remove, in [0, 1). Default 0.5. About that fraction: each
    /// layer's kept width is rounded to the nearest multiple of <see cref="ChannelMultiple"/> (exactly it with
    /// <see cref="ExactRate"/>). Not used when <see cref="TargetMacs"/> or <see cref="TargetParameters"/> is set.
    /// </summary>
    [Range(0.0, 0.95, 0.5, false)]
    public double PruneRate { get; set; } = 0.5;

    /// <summary>
    /// Channels summed by residual Adds: pruned together across the residual stage (<see cref="ResidualPruning.Coupled"/>,
    /// default) or kept (<see cref="ResidualPruning.KeepWidth"/>).
    /// </summary>
    [Choice(new object[] { ResidualPruning.Coupled, ResidualPruning.KeepWidth }, ResidualPruning.Coupled)]
    public ResidualPruning Residual { get; set; } = ResidualPruning.Coupled;

    /// <summary>
    /// Every pruned layer (or coupled residual stage) keeps a multiple of this many channels, or its full width:
    /// the width the rate asks for rounded to the nearest one, a tie going up, never below one multiple. A layer
    /// narrower than two multiples uses half the multiple, halved again as needed (with 8: multiples of 4 for 8 to 15
    /// channels, of 2 for 4 to 7), so small networks still prune. Default 8: ONNX Runtime's CPU convolutions run much
    /// slower on odd widths than on multiples of 8 or 16. 1, or <see cref="ExactRate"/>, removes exactly the rate.
    /// </summary>
    [Range(1, 16, 8, false)]
    public int ChannelMultiple { get; set; } = 8;

    /// <summary>
    /// True: every layer loses exactly round(<see cref="PruneRate"/> x width) channels, widths are not rounded to
    /// <see cref="ChannelMultiple"/> (the behaviour before widths were rounded by default). Default false.
    /// </summary>
    [BooleanChoice(false)]
    public bool ExactRate { get; set; }

    /// <summary>
    /// Target-driven pruning: the fraction of the start network's multiply-accumulates to keep, in (0, 1], e.g. 0.5.
    /// The prune rate is then chosen (by bisection, with the method's own scores and rounding) so that the pruned
    /// network has at most that many MACs and as close to it as the widths allow; <see cref="PruneRate"/> is not
    /// used. Default null: prune <see cref="PruneRate"/>.
    /// </summary>
    public double? TargetMacs { get; set; }

    /// <summary>
    /// Target-driven pruning by size: the fraction of the start network's parameters to keep, in (0, 1], e.g. 0.33 for
    /// a model (and, quantized, a file) about a third the size. The prune rate is chosen as for <see cref="TargetMacs"/>;
    /// with both set, the rate is the smallest that meets both. Default null.
    /// </summary>
    public double? TargetParameters { get; set; }

    /// <summary><see cref="TargetMacs"/> and <see cref="TargetParameters"/>, or null when pruning <see cref="PruneRate"/>.</summary>
    internal PruningTarget.Budget? Target => TargetMacs is null && TargetParameters is null ? null : new(TargetMacs, TargetParameters);

    /// <summary>
    /// Rates of single layers for the methods that prune every layer by a rate (L1-norm and SCOP): a convolution's name
    /// and the fraction of its channels to remove, in [0, 1); for a coupled residual stage, any of its convolutions names
    /// the stage. Layers not named use <see cref="PruneRate"/>. A sweep sets them from a sensitivity table. Not combined
    /// with a target (<see cref="TargetMacs"/>, <see cref="TargetParameters"/>); Network Slimming (one global threshold) refuses them. Default none.
    /// </summary>
    public Dictionary<string, double> LayerPruneRates { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The multiple widths are rounded to: 1 with <see cref="ExactRate"/>.</summary>
    internal int Multiple => ExactRate ? 1 : ChannelMultiple;

    /// <summary>Convolutions whose output channels all stay. Default none.</summary>
    public string[] ExcludeLayers { get; set; } = Array.Empty<string>();

    /// <summary>The channel dependencies of <paramref name="graph"/> under these options' residual mode and exclusions.</summary>
    internal ChannelDependencies Dependencies(NetworkGraph graph, bool linearUnits = false) =>
        new(graph, Residual, ExcludeLayers, nameof(ExcludeLayers), linearUnits);

    /// <summary>
    /// <see cref="Dependencies"/> of <paramref name="graph"/>'s convolution channels, or of its Linear layers' hidden
    /// units when it has no prunable convolution channel (an MLP), as the per-layer rate methods analyse it.
    /// </summary>
    internal ChannelDependencies PerLayerDependencies(NetworkGraph graph) =>
        Dependencies(graph) is { Channels.Count: > 0 } channels ? channels : Dependencies(graph, linearUnits: true);

    /// <summary>
    /// The lowest-scored channels of every group at <see cref="PruneRate"/>, or at the group's <see cref="LayerPruneRates"/>
    /// entry, widths rounded to <see cref="Multiple"/>; how many go in each group does not depend on <paramref name="scores"/>.
    /// </summary>
    internal HashSet<int> SelectPerGroup(ChannelDependencies dependencies, IReadOnlyDictionary<int, double> scores) =>
        LayerPruneRates.Count == 0
            ? ChannelSelection.PerGroup(dependencies, scores, PruneRate, nameof(PruneRate), Multiple)
            : ChannelSelection.PerGroup(dependencies, scores, RateOf(dependencies), nameof(LayerPruneRates), Multiple);

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
        if (TargetMacs is { } target && !(target > 0 && target <= 1))
            throw new ArgumentOutOfRangeException(nameof(TargetMacs), target, "TargetMacs must be in (0, 1] (the fraction of the network's MACs to keep), or null to prune PruneRate.");
        if (TargetParameters is { } size && !(size > 0 && size <= 1))
            throw new ArgumentOutOfRangeException(nameof(TargetParameters), size, "TargetParameters must be in (0, 1] (the fraction of the network's parameters to keep), or null to prune PruneRate.");
        ArgumentNullException.ThrowIfNull(ExcludeLayers, nameof(ExcludeLayers));
        ArgumentNullException.ThrowIfNull(LayerPruneRates, nameof(LayerPruneRates));
        foreach (var (layer, rate) in LayerPruneRates)
            if (!(rate >= 0 && rate < 1))
                throw new ArgumentOutOfRangeException(nameof(LayerPruneRates), rate, $"LayerPruneRates['{layer}'] must be in [0, 1) (the fraction of the layer's channels to remove).");
        if (LayerPruneRates.Count > 0 && Target is not null)
        {
            string option = TargetMacs is null ? nameof(TargetParameters) : nameof(TargetMacs);
            throw new ArgumentException($"LayerPruneRates and {option} cannot be combined: {option} chooses one rate for every layer.", nameof(LayerPruneRates));
        }
    }

    /// <summary>
    /// The rate of each group of <paramref name="dependencies"/>: its <see cref="LayerPruneRates"/> entry, else
    /// <see cref="PruneRate"/>; throws naming an entry that names no pruned convolution, or a stage given two rates.
    /// </summary>
    internal Func<ChannelGroup, double> RateOf(ChannelDependencies dependencies)
    {
        var rates = new Dictionary<int, double>();
        foreach (var (layer, rate) in LayerPruneRates)
        {
            ChannelGroup group = dependencies.Groups.FirstOrDefault(g => g.Layers.Contains(layer, StringComparer.Ordinal))
                ?? throw new ArgumentException(
                    $"LayerPruneRates names '{layer}', which is not a pruned convolution of network '{dependencies.Graph.Name}'; those are: {string.Join(", ", dependencies.Groups.SelectMany(g => g.Layers))}.",
                    nameof(LayerPruneRates));
            if (rates.TryGetValue(group.Index, out double other) && other != rate)
                throw new ArgumentException($"LayerPruneRates gives the coupled stage '{group.Name}' two rates ({other} and {rate}); its layers share their channels, so give one.", nameof(LayerPruneRates));
            rates[group.Index] = rate;
        }
        return g => rates.TryGetValue(g.Index, out double r) ? r : PruneRate;
    }
}
