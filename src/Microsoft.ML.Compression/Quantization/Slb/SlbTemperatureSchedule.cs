using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Training;

namespace Microsoft.ML.Compression.Quantization.Slb;

/// <summary>
/// SLB's temperature schedule (Golden Stick's TemperatureScheduler) and state-BN calibration. With E epochs, the
/// temperature is <c>start</c> until epoch E x startTime, then grows by <c>factor</c> per epoch until E x endTime,
/// after which the weights are hard. The epoch count is fractional (updated every step), so short runs get a smooth
/// schedule rather than one that jumps straight to hard weights.
/// </summary>
internal sealed class SlbTemperatureSchedule : ITrainingHook, ICheckpointedHook
{
    private readonly IReadOnlyList<SlbWeightModule> _layers;
    private readonly int _epochs;
    private readonly double _stepsPerEpoch, _start, _startTime, _endTime, _factor;
    private readonly Action<GraphModule>? _calibrate;
    private readonly string _settings;

    public SlbTemperatureSchedule(IReadOnlyList<SlbWeightModule> layers, int epochs, int stepsPerEpoch,
        double start, double startTime, double endTime, double factor, Action<GraphModule>? calibrate, string settings = "")
    {
        _settings = settings;
        _layers = layers;
        _epochs = epochs;
        _stepsPerEpoch = Math.Max(1, stepsPerEpoch);
        _start = start;
        _startTime = startTime;
        _endTime = endTime;
        _factor = factor;
        _calibrate = calibrate;
    }

    public string Fingerprint => FormattableString.Invariant(
        $"slb|{_epochs}|{_stepsPerEpoch:R}|{_start:R}|{_startTime:R}|{_endTime:R}|{_factor:R}|{_calibrate is not null}|{_settings}");

    // The temperature and hardness follow from the step count; the logits and BatchNorm statistics are the module's.
    public IReadOnlyDictionary<string, float[]> SaveState() => new Dictionary<string, float[]>();

    public void LoadState(GraphModule module, IReadOnlyDictionary<string, float[]> state, long step) => Set(step / _stepsPerEpoch);

    /// <summary>The temperature after <paramref name="epochsDone"/> (fractional) epochs.</summary>
    public static double TemperatureAt(double epochsDone, int epochs, double start, double startTime, double endTime, double factor)
    {
        double from = epochs * startTime, to = epochs * endTime;
        return start * Math.Pow(factor, Math.Clamp(epochsDone, from, to) - from);
    }

    /// <summary>True once <paramref name="epochsDone"/> reaches the end of the schedule.</summary>
    public static bool IsHardAt(double epochsDone, int epochs, double endTime) => epochsDone >= epochs * endTime;

    public void OnTrainingStart(GraphModule module) => Set(0);

    public void AfterStep(GraphModule module, long step) => Set((step + 1) / _stepsPerEpoch);

    /// <summary>Golden Stick recalibrates BatchNorm with hard weights after every epoch past the start of the schedule.</summary>
    public void OnEpochEnd(GraphModule module, int epoch)
    {
        if (_calibrate is not null && epoch > _epochs * _startTime) _calibrate(module);
    }

    private void Set(double epochsDone)
    {
        double temperature = TemperatureAt(epochsDone, _epochs, _start, _startTime, _endTime, _factor);
        bool hard = IsHardAt(epochsDone, _epochs, _endTime);
        foreach (var layer in _layers)
        {
            layer.Temperature = temperature;
            layer.Hard = hard;
        }
    }
}
