using Microsoft.ML.Compression.Compressed;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Quantization;
using Microsoft.ML.Compression.Training;
using Microsoft.ML.SearchSpace;

namespace Microsoft.ML.Compression.Estimators;

/// <summary>
/// Post-training int8 quantization: no training, only calibration. Fit runs the trained float network on the first
/// <see cref="Options.CalibrationSamples"/> rows of its input to pick each activation's range, folds BatchNorm into the
/// convolutions, rounds the weights per output channel and exports int8 QDQ ONNX (the same form as SimQAT's).
/// </summary>
/// <remarks>
/// Calibration takes the first rows as they come: shuffle the data first if it is sorted by class. With
/// <see cref="Options.WeightBits"/> 1, 2 or 4 it is the round-to-nearest baseline of SLB: weights rounded onto the same
/// levels, stored at that bit width.
/// </remarks>
public sealed class PostTrainingQuantizer : CompressionEstimator<PostTrainingQuantizer.Options>
{
    /// <summary>Options of <see cref="PostTrainingQuantizer"/>. The label column is not read; its class names, if any, name the predictions.</summary>
    public sealed class Options : EstimatorOptions
    {
        /// <summary>Rows used to calibrate activation ranges. Default 512.</summary>
        [Range(1, 60000, 512, true)]
        public int CalibrationSamples { get; set; } = 512;

        /// <summary>How a range is read from the calibration values. Default <see cref="CalibrationMethod.MinMax"/>.</summary>
        [Choice(new object[] { CalibrationMethod.MinMax, CalibrationMethod.Percentile }, CalibrationMethod.MinMax)]
        public CalibrationMethod Calibration { get; set; } = CalibrationMethod.MinMax;

        /// <summary>Percentile p for <see cref="CalibrationMethod.Percentile"/>: the range is [(100-p)th, pth] percentile. Default 99.99.</summary>
        [Range(90.0, 100.0, 99.99, false)]
        public double Percentile { get; set; } = 99.99;

        /// <summary>
        /// Bits of the weights: 8 (int8, every Conv2d and Linear layer) or 1, 2 or 4 (round-to-nearest onto SLB's levels
        /// with per-channel scales fitted to the weights, convolutions only, as SLB's default). Default 8.
        /// </summary>
        [Choice(new object[] { 1, 2, 4, 8 }, 8)]
        public int WeightBits { get; set; } = 8;

        /// <summary>Bits of the activations: 8 (uint8), or 32 (float) with 1-, 2- or 4-bit weights. Default 8.</summary>
        [Choice(new object[] { 8, 32 }, 8)]
        public int ActivationBits { get; set; } = 8;

        /// <summary>
        /// Conv2d or Linear layers whose weights stay float. Default none. A kept layer runs in float in ONNX Runtime
        /// when the tensor it reads feeds only kept layers (e.g. the first convolution reading the image, which is then
        /// not quantized either); where that tensor also feeds quantized layers, ONNX Runtime quantizes the kept
        /// layer's weights itself when it loads the model.
        /// </summary>
        public string[] KeepFloatLayers { get; set; } = Array.Empty<string>();

        /// <summary>
        /// How the int8 export avoids slowing the model down in ONNX Runtime (8-bit weights only): slow layers kept
        /// float by rule, and an optional measurement against the fp32 model. See <see cref="Int8LatencyOptions"/>.
        /// </summary>
        public Int8LatencyOptions Latency { get; set; } = new();

        /// <inheritdoc />
        public override void Validate()
        {
            base.Validate();
            if (CalibrationSamples < 1)
                throw new ArgumentOutOfRangeException(nameof(CalibrationSamples), CalibrationSamples, "CalibrationSamples must be at least 1.");
            if (!Enum.IsDefined(Calibration))
                throw new ArgumentOutOfRangeException(nameof(Calibration), Calibration, "Unknown calibration method.");
            if (!(Percentile > 50 && Percentile <= 100))
                throw new ArgumentOutOfRangeException(nameof(Percentile), Percentile, "Percentile must be in (50, 100].");
            QuantizationBits.Validate(WeightBits, ActivationBits, nameof(WeightBits), nameof(ActivationBits));
            ArgumentNullException.ThrowIfNull(KeepFloatLayers, nameof(KeepFloatLayers));
            ArgumentNullException.ThrowIfNull(Latency, nameof(Latency));
            Latency.Validate(nameof(Latency));
        }
    }

    private readonly IReadOnlyList<string>? _lowBitLayers;
    private readonly string[] _keepFloat;
    private readonly IReadOnlyList<string> _keepFloatNotes;

    internal PostTrainingQuantizer(CompressionCatalog catalog, StartingPoint startFrom, Options options)
        : base(catalog, startFrom, options, "PostTrainingQuantization")
    {
        _lowBitLayers = QuantizationBits.CheckLayers(Network, options.WeightBits, options.KeepFloatLayers, nameof(Options.KeepFloatLayers));
        (_keepFloat, _keepFloatNotes) = SlowInt8Layers.Choose(Network, options.WeightBits, options.KeepFloatLayers, options.Latency.KeepSlowLayersFloat);
    }

    private protected override bool ReadsLabels => false;

    private protected override FitResult FitCore(FitContext context)
    {
        if (_lowBitLayers is not null) return FitLowBit(context, _lowBitLayers);
        LabeledDataset samples = context.Features(Settings.CalibrationSamples);
        context.Info($"Calibrating {Network.Name} on {samples.Count} rows ({Settings.Calibration}).");
        foreach (string note in _keepFloatNotes) context.Info(note);
        CompressedNetwork quantized = Calibration.Quantize(Network, samples, Settings.Calibration, Settings.Percentile,
            _keepFloat, nameof(Options.KeepFloatLayers), context.CheckAlive);
        quantized = context.CheckInt8Latency(quantized, Network, Settings.Latency);
        return new FitResult(quantized, Network, Int8LatencyGuard.MethodName("ptq", quantized));
    }

    private FitResult FitLowBit(FitContext context, IReadOnlyList<string> layers)
    {
        bool a8 = Settings.ActivationBits == 8;
        LabeledDataset? samples = a8 ? context.Features(Settings.CalibrationSamples) : null;
        context.Info($"Rounding {string.Join(", ", layers)} of {Network.Name} to {Settings.WeightBits}-bit weights" +
            (a8 ? $", calibrating uint8 activations on {samples!.Count} rows." : "."));
        CompressedNetwork lowBit = Calibration.QuantizeLowBit(Network, Settings.WeightBits, layers, samples, Settings.Calibration, Settings.Percentile, context.CheckAlive);
        return new FitResult(lowBit, lowBit.Graph, QuantizationBits.LowBitMethod("rtn", Settings.WeightBits, a8));
    }
}
