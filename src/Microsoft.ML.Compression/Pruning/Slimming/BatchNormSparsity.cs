using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Training;
using TorchSharp;
using TorchSharp.Modules;

namespace Microsoft.ML.Compression.Pruning.Slimming;

/// <summary>
/// Network Slimming's sparsity training (Liu et al., 2017): adds the L1 subgradient s * sign(gamma) to the gradient
/// of the BatchNorm scaling factors, so unimportant channels' gamma drift to zero and a global threshold can find them.
/// </summary>
public sealed class BatchNormSparsity : ITrainingHook, ICheckpointedHook
{
    private readonly double _strength;
    private readonly IReadOnlyList<string> _batchNorms;

    /// <summary>Penalizes the gamma of <paramref name="batchNorms"/> with strength <paramref name="strength"/> (the paper's s).</summary>
    public BatchNormSparsity(IReadOnlyList<string> batchNorms, double strength)
    {
        ArgumentNullException.ThrowIfNull(batchNorms);
        if (!(strength >= 0) || double.IsInfinity(strength))
            throw new ArgumentOutOfRangeException(nameof(strength), strength, "The sparsity strength s must be a finite number >= 0.");
        _batchNorms = batchNorms.ToArray();
        _strength = strength;
    }

    // The penalty has no state of its own (gamma is the module's): a checkpoint needs only its settings.
    string ICheckpointedHook.Fingerprint => FormattableString.Invariant($"slim|{_strength:R}|{string.Join(',', _batchNorms)}");

    IReadOnlyDictionary<string, float[]> ICheckpointedHook.SaveState() => new Dictionary<string, float[]>();

    void ICheckpointedHook.LoadState(GraphModule module, IReadOnlyDictionary<string, float[]> state, long step) { }

    /// <summary>The BatchNorms whose channels a slimming step may remove (those the penalty should act on).</summary>
    public static IReadOnlyList<string> PrunableBatchNorms(ChannelDependencies dependencies) =>
        dependencies.Channels.SelectMany(c => c.BatchNorms.Select(b => b.Layer)).Distinct().ToArray();

    /// <inheritdoc />
    public void AfterBackward(GraphModule module, long step)
    {
        if (_strength == 0) return;
        using var noGrad = torch.no_grad();
        foreach (string name in _batchNorms)
        {
            var gamma = (module.ModuleOf(name) as BatchNorm2d)?.weight
                ?? throw new InvalidOperationException($"Layer '{name}' of network '{module.Graph.Name}' is not a trainable BatchNorm2d.");
            if (gamma.grad is not { } grad) continue;
            using var sign = gamma.sign();
            grad.add_(sign, alpha: _strength);
        }
    }
}
