namespace Microsoft.ML.Compression.Sweeps;

/// <summary>How a sweep trial prunes channels.</summary>
public enum SweepPruning
{
    /// <summary>No pruning step.</summary>
    None,

    /// <summary>Smallest filter L1 norm per layer (<see cref="Estimators.L1NormPruner"/>).</summary>
    L1Norm,

    /// <summary>BatchNorm-scale sparsity, then the smallest scales (<see cref="Estimators.NetworkSlimming"/>).</summary>
    NetworkSlimming,

    /// <summary>Knockoff-controlled selection (<see cref="Estimators.ScopPruner"/>).</summary>
    Scop,
}

/// <summary>How a sweep trial quantizes the weights.</summary>
public enum SweepQuantization
{
    /// <summary>Float weights.</summary>
    None,

    /// <summary>int8 weights and uint8 activations (quantization-aware training, or post-training at fidelity 0).</summary>
    Int8,

    /// <summary>Each convolution at its own weight width (8, 4 or 2 bits), float activations.</summary>
    MixedBits,
}

/// <summary>
/// What one trial of a <see cref="CompressionSweep"/> runs, decoded from its configuration: a pruning step, a
/// quantization step, whether the starting model teaches both, and how many epochs each step trains (the fidelity).
/// </summary>
/// <param name="Pruning">The pruning method.</param>
/// <param name="PruneRate">The fraction of channels it removes (about: widths round to the hardware-friendly multiples).</param>
/// <param name="Quantization">The quantization step.</param>
/// <param name="LayerRates">Prune rates of single layers (L1-norm and SCOP), overriding <paramref name="PruneRate"/>; may be empty.</param>
/// <param name="LayerBits">Weight bits per convolution for <see cref="SweepQuantization.MixedBits"/>; empty otherwise.</param>
/// <param name="Teacher">Whether the starting model teaches the training steps (Hinton distillation).</param>
/// <param name="DistillationWeight">The weight of the teacher's soft targets when <paramref name="Teacher"/> is set.</param>
/// <param name="Epochs">Training epochs of each step (the trial's fidelity).</param>
public sealed record CompressionTrialSettings(SweepPruning Pruning, double PruneRate, IReadOnlyDictionary<string, double> LayerRates, SweepQuantization Quantization,
    IReadOnlyDictionary<string, int> LayerBits, bool Teacher, double DistillationWeight, int Epochs)
{
    /// <summary>A short description, e.g. "l1 50% + int8 + teacher, 1 epoch".</summary>
    public override string ToString()
    {
        var parts = new List<string>();
        if (Pruning != SweepPruning.None)
            parts.Add(LayerRates.Count == 0 || Pruning == SweepPruning.NetworkSlimming ? $"{Name(Pruning)} {PruneRate:P0}" : $"{Name(Pruning)} per-layer {LayerRates.Values.Min():P0}-{LayerRates.Values.Max():P0}");
        if (Quantization == SweepQuantization.Int8) parts.Add("int8");
        if (Quantization == SweepQuantization.MixedBits)
            parts.Add("bits " + string.Join("/", LayerBits.Values.GroupBy(b => b).OrderByDescending(g => g.Key).Select(g => $"{g.Count()}x{g.Key}")));
        if (parts.Count == 0) parts.Add("fp32");
        if (Teacher) parts.Add("teacher");
        return string.Join(" + ", parts) + $", {Epochs} epoch{(Epochs == 1 ? "" : "s")}";
    }

    private static string Name(SweepPruning p) => p switch
    {
        SweepPruning.L1Norm => "l1",
        SweepPruning.NetworkSlimming => "slim",
        SweepPruning.Scop => "scop",
        _ => "none",
    };
}
