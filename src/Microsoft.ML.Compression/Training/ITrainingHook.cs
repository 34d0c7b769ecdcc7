using TorchSharp;
using Microsoft.ML.Compression.Graph;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Training;

/// <summary>
/// How a compression method plugs into the one training loop (in the spirit of Golden Stick's callbacks): every
/// member has a do-nothing default, so a method overrides only what it needs.
/// </summary>
public interface ITrainingHook
{
    /// <summary>Called once before the first epoch, after the optimizer exists.</summary>
    void OnTrainingStart(GraphModule module) { }

    /// <summary>Called before each epoch (1-based), e.g. to change a temperature.</summary>
    void OnEpochStart(GraphModule module, int epoch) { }

    /// <summary>True when <see cref="Loss"/> replaces the cross-entropy (at most one hook of a run may).</summary>
    bool ReplacesLoss => false;

    /// <summary>The loss of a step in place of the cross-entropy, e.g. distillation's; used only when <see cref="ReplacesLoss"/>.</summary>
    Tensor? Loss(GraphModule module, TrainingBatch batch, Tensor logits) => null;

    /// <summary>A term added to the loss of a step (null for none), e.g. a feature hint or a penalty.</summary>
    Tensor? ExtraLoss(GraphModule module, TrainingBatch batch, Tensor logits) => null;

    /// <summary>Called after backward and before the optimizer step, e.g. to add a subgradient.</summary>
    void AfterBackward(GraphModule module, long step) { }

    /// <summary>Called after the optimizer step, e.g. to clamp or mask parameters.</summary>
    void AfterStep(GraphModule module, long step) { }

    /// <summary>Called after each epoch (before validation).</summary>
    void OnEpochEnd(GraphModule module, int epoch) { }
}
