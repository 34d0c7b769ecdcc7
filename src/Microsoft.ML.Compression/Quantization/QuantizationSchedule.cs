using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Training;

namespace Microsoft.ML.Compression.Quantization;

/// <summary>Switches fake quantization on after the quantization delay and freezes folded BatchNorms after N steps.</summary>
internal sealed class QuantizationSchedule : ITrainingHook
{
    private readonly QuantizationAwareModel _model;
    private readonly long _quantDelay, _freezeBatchNormAfter;

    public QuantizationSchedule(QuantizationAwareModel model, long quantDelay, long freezeBatchNormAfter)
    {
        _model = model;
        _quantDelay = quantDelay;
        _freezeBatchNormAfter = freezeBatchNormAfter;
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
