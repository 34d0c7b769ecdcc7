using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Training;

namespace Microsoft.ML.Compression.Quantization;

/// <summary>Switches fake quantization on after the quantization delay and freezes folded BatchNorms after N steps.</summary>
internal sealed class QuantizationSchedule : ITrainingHook, ICheckpointedHook
{
    private readonly QuantizationAwareModel _model;
    private readonly long _quantDelay, _freezeBatchNormAfter;

    /// <param name="model">The model being trained.</param>
    /// <param name="quantDelay">Steps before rounding starts.</param>
    /// <param name="freezeBatchNormAfter">Steps before folded BatchNorms freeze.</param>
    /// <param name="settings">The other settings the model was built with (range tracking, EMA decay, folding), for checkpoints' fingerprint.</param>
    public QuantizationSchedule(QuantizationAwareModel model, long quantDelay, long freezeBatchNormAfter, string settings = "")
    {
        _model = model;
        _quantDelay = quantDelay;
        _freezeBatchNormAfter = freezeBatchNormAfter;
        Fingerprint = $"qat|{quantDelay}|{freezeBatchNormAfter}|{settings}";
    }

    public string Fingerprint { get; }

    // The observers' ranges are plain fields, not buffers; the two switches follow from the step count.
    public IReadOnlyDictionary<string, float[]> SaveState() => _model.Ranges();

    public void LoadState(GraphModule module, IReadOnlyDictionary<string, float[]> state, long step)
    {
        _model.SetRanges(state);
        _model.SetQuantizing(step >= _quantDelay);
        _model.SetBatchNormFrozen(step >= _freezeBatchNormAfter);
    }

    public void OnTrainingStart(GraphModule module)
    {
        _model.SetQuantizing(_quantDelay == 0);
        if (_freezeBatchNormAfter == 0) _model.FreezeBatchNorm();
    }

    public void AfterStep(GraphModule module, long step)
    {
        if (step + 1 == _quantDelay) _model.SetQuantizing(true);
        if (step + 1 == _freezeBatchNormAfter) _model.FreezeBatchNorm();
    }
}
