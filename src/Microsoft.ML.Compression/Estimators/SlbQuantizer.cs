using Microsoft.ML.Compression.Compressed;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Quantization;
using Microsoft.ML.Compression.Quantization.LowBit;
using Microsoft.ML.Compression.Quantization.Slb;
using Microsoft.ML.Compression.Training;
using Microsoft.ML.SearchSpace;

namespace Microsoft.ML.Compression.Estimators;

/// <summary>
/// SLB, searching for low-bit weights (Yang et al., NeurIPS 2020): every weight of the quantized layers becomes a
/// softmax over 2, 4 or 16 levels ({-1, 1} or linspace(-1, 1, 2^b), times a fixed per-channel scale); the logits are
/// trained while a temperature schedule sharpens the softmax, then each weight takes its most probable level. The
/// model is exported with its weights stored at 1, 2 or 4 bits (see <see cref="Onnx.OnnxExporter"/>).
/// </summary>
/// <remarks>
/// A BatchNorm after a quantized convolution absorbs the scale; BatchNorm statistics are re-estimated with the hard
/// weights (state BN). With <see cref="Options.QuantizeActivations"/> activations are also uint8 (A8). The fitted
/// transformer's <see cref="CompressedModelTransformer.Compressed"/> holds the codes (<see cref="Compressed.LevelWeights"/>),
/// and its report each layer's bits and the weight bytes against fp32.
/// </remarks>
public sealed class SlbQuantizer : CompressionEstimator<SlbQuantizer.Options>
{
    /// <summary>
    /// Options of <see cref="SlbQuantizer"/>. The temperature defaults are Golden Stick's (t_start_val 1, t_start_time
    /// 0.2, t_end_time 0.6, t_factor 1.2); with few epochs a larger <see cref="TemperatureFactor"/> is needed for the
    /// weights to be nearly hard when the schedule ends (the temperature reaches factor^(0.4 x epochs)).
    /// </summary>
    public sealed class Options : CompressionOptions
    {
        /// <summary>Creates options with fine-tuning defaults: 10 epochs, Adam at learning rate 0.001, no weight decay.</summary>
        public Options()
        {
            Epochs = 10;
            Optimizer = OptimizerKind.Adam;
            LearningRate = 0.001;
            WeightDecay = 0; // decay would pull every logit towards the uniform softmax
        }

        /// <summary>Bits per weight of the quantized layers: 1, 2 or 4. Default 1 (Golden Stick's).</summary>
        [Choice(new object[] { 1, 2, 4 }, 1)]
        public int WeightBits { get; set; } = 1;

        /// <summary>Quantize activations to uint8 as well (A8, min/max ranges from training). Default false.</summary>
        [BooleanChoice(false)]
        public bool QuantizeActivations { get; set; }

        /// <summary>Temperature at the start (Golden Stick's t_start_val). Default 1.</summary>
        [Range(0.01, 100.0, 1.0, true)]
        public double TemperatureStart { get; set; } = 1;

        /// <summary>Fraction of the epochs after which the temperature starts to grow (t_start_time). Default 0.2.</summary>
        [Range(0.0, 1.0, 0.2, false)]
        public double TemperatureStartTime { get; set; } = 0.2;

        /// <summary>Fraction of the epochs after which the temperature stops growing and the weights are hard (t_end_time). Default 0.6.</summary>
        [Range(0.0, 1.0, 0.6, false)]
        public double TemperatureEndTime { get; set; } = 0.6;

        /// <summary>Factor the temperature is multiplied by per epoch between the two times (t_factor). Default 1.2.</summary>
        [Range(1.0, 1000.0, 1.2, true)]
        public double TemperatureFactor { get; set; } = 1.2;

        /// <summary>Re-estimate BatchNorm statistics with the hard weights after each epoch past the start time and at the end. Default true.</summary>
        [BooleanChoice(true)]
        public bool BatchNormCalibration { get; set; } = true;

        /// <summary>Training rows each BatchNorm calibration runs over. Default 4096.</summary>
        [Range(64, 60000, 4096, true)]
        public int BatchNormCalibrationRows { get; set; } = 4096;

        /// <summary>How the logits start. Default <see cref="SlbLogitInitialization.Pretrained"/> (nearest level highest).</summary>
        [Choice(new object[] { SlbLogitInitialization.Pretrained, SlbLogitInitialization.Random }, SlbLogitInitialization.Pretrained)]
        public SlbLogitInitialization LogitInitialization { get; set; } = SlbLogitInitialization.Pretrained;

        /// <summary>Quantize fully connected layers too (convolutions always are). Default false.</summary>
        [BooleanChoice(false)]
        public bool QuantizeLinearLayers { get; set; }

        /// <summary>Quantize the first Conv2d/Linear layer (the one reading the image). Default true (Golden Stick quantizes every convolution).</summary>
        [BooleanChoice(true)]
        public bool QuantizeFirstLayer { get; set; } = true;

        /// <summary>Quantize the last Conv2d/Linear layer (the classifier). Default false.</summary>
        [BooleanChoice(false)]
        public bool QuantizeLastLayer { get; set; }

        /// <summary>Further Conv2d or Linear layers, by name, whose weights stay float. Default none.</summary>
        public string[] KeepFloatLayers { get; set; } = Array.Empty<string>();

        /// <inheritdoc />
        public override void Validate()
        {
            base.Validate();
            WeightLevels.Validate(WeightBits, nameof(WeightBits));
            if (!(TemperatureStart > 0) || double.IsInfinity(TemperatureStart))
                throw new ArgumentOutOfRangeException(nameof(TemperatureStart), TemperatureStart, "TemperatureStart (t_start_val) must be a positive number.");
            if (!(TemperatureFactor > 0) || double.IsInfinity(TemperatureFactor))
                throw new ArgumentOutOfRangeException(nameof(TemperatureFactor), TemperatureFactor, "TemperatureFactor (t_factor) must be a positive number.");
            if (!(TemperatureStartTime >= 0 && TemperatureStartTime <= 1))
                throw new ArgumentOutOfRangeException(nameof(TemperatureStartTime), TemperatureStartTime, "TemperatureStartTime (t_start_time) must be a fraction of the epochs in [0, 1].");
            if (!(TemperatureEndTime >= 0 && TemperatureEndTime <= 1))
                throw new ArgumentOutOfRangeException(nameof(TemperatureEndTime), TemperatureEndTime, "TemperatureEndTime (t_end_time) must be a fraction of the epochs in [0, 1].");
            if (TemperatureStartTime > TemperatureEndTime)
                throw new ArgumentException(
                    $"TemperatureStartTime (t_start_time, {TemperatureStartTime}) must not be after TemperatureEndTime (t_end_time, {TemperatureEndTime}).", nameof(TemperatureStartTime));
            if (BatchNormCalibrationRows < 2)
                throw new ArgumentOutOfRangeException(nameof(BatchNormCalibrationRows), BatchNormCalibrationRows, "BatchNormCalibrationRows must be at least 2.");
            if (!Enum.IsDefined(LogitInitialization))
                throw new ArgumentOutOfRangeException(nameof(LogitInitialization), LogitInitialization, "Unknown logit initialization.");
            ArgumentNullException.ThrowIfNull(KeepFloatLayers, nameof(KeepFloatLayers));
        }

        internal LowBitLayerSelection Selection => new(QuantizeLinearLayers, QuantizeFirstLayer, QuantizeLastLayer, KeepFloatLayers);
    }

    private readonly IReadOnlyList<string> _layers;

    internal SlbQuantizer(CompressionCatalog catalog, StartingPoint startFrom, Options options)
        : base(catalog, startFrom, options, "Slb")
    {
        _layers = options.Selection.Select(Network, nameof(Options.KeepFloatLayers)); // fail before Fit
    }

    /// <summary>The method name written to the model's metadata: "slb-w{bits}" or "slb-w{bits}a8".</summary>
    public string Method => QuantizationBits.LowBitMethod("slb", Settings.WeightBits, Settings.QuantizeActivations);

    private protected override FitResult FitCore(FitContext context)
    {
        context.Info($"SLB {Settings.WeightBits}-bit weights for {string.Join(", ", _layers)} of {Network.Name}{(Settings.QuantizeActivations ? ", uint8 activations" : "")}.");
        using var model = new LowBitTrainingModel(Network, _layers, Settings.WeightBits, Settings.QuantizeActivations,
            (layer, module, scales) => new SlbWeightModule(layer, module, Settings.WeightBits, scales, Settings.LogitInitialization));
        var slbLayers = model.Layers.Values.Cast<SlbWeightModule>().ToList();
        LabeledDataset train = context.Train;
        Action<GraphModule>? calibrate = Settings.BatchNormCalibration
            ? module => BatchNormCalibration.Recalibrate(module, train, Settings.BatchNormCalibrationRows)
            : null;
        int stepsPerEpoch = (train.Count + Settings.BatchSize - 1) / Settings.BatchSize;
        var schedule = new SlbTemperatureSchedule(slbLayers, Settings.Epochs, stepsPerEpoch, Settings.TemperatureStart,
            Settings.TemperatureStartTime, Settings.TemperatureEndTime, Settings.TemperatureFactor, calibrate,
            FormattableString.Invariant($"{Settings.BatchNormCalibrationRows}|{Settings.LogitInitialization}"));
        context.Run(model.Module, "SLB", hooks: new[] { schedule, model.Checkpoint() });
        calibrate?.Invoke(model.Module); // the exported statistics must describe the hard weights
        CompressedNetwork lowBit = model.Finish();
        return new FitResult(lowBit, lowBit.Graph, Method);
    }
}
