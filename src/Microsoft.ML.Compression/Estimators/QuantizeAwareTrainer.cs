using Microsoft.ML.Compression.Compressed;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Quantization;
using Microsoft.ML.Compression.Quantization.LowBit;
using Microsoft.ML.SearchSpace;

namespace Microsoft.ML.Compression.Estimators;

/// <summary>
/// SimQAT (Jacob et al., 2018): fine-tunes a trained network with simulated int8 quantization (per-channel symmetric
/// int8 weights, per-tensor asymmetric uint8 activations, straight-through gradients), then exports it as int8 QDQ
/// ONNX that ONNX Runtime runs with integer kernels (QLinearConv, QGemm).
/// </summary>
/// <remarks>
/// Each convolution followed by a BatchNorm trains folded with it (the exported model always folds them); activation
/// ranges are tracked from the training batches. The fitted transformer's <see cref="CompressedModelTransformer.Compressed"/>
/// describes the int8 model and its report gives per-layer bit widths and the size relative to fp32. With 1-, 2- or 4-bit
/// <see cref="Options.WeightBits"/> it trains straight-through onto SLB's levels instead, and
/// <see cref="Options.LayerWeightBits"/> gives single layers their own width (mixed precision, one ONNX model).
/// </remarks>
public sealed class QuantizeAwareTrainer : CompressionEstimator<QuantizeAwareTrainer.Options>
{
    /// <summary>
    /// Options of <see cref="QuantizeAwareTrainer"/>. Quantization defaults are Golden Stick's effective ones
    /// (no delay, min/max ranges, one-conv BatchNorm folding, BatchNorm never frozen in practice); training defaults
    /// suit fine-tuning a trained model (3 epochs, learning rate 0.005, cosine).
    /// </summary>
    public sealed class Options : CompressionOptions
    {
        /// <summary>Creates options with fine-tuning defaults.</summary>
        public Options()
        {
            Epochs = 3;
            LearningRate = 0.005;
        }

        /// <summary>
        /// Bits of the weights: 8 (int8, every Conv2d and Linear layer), or 1, 2 or 4: straight-through QAT onto SLB's
        /// levels with per-channel scales fitted to the trained weights, convolutions only (SLB's default), BatchNorm
        /// kept unfolded (it absorbs the scale). Default 8. <see cref="LayerWeightBits"/> sets the width of single layers.
        /// </summary>
        [Choice(new object[] { 1, 2, 4, 8 }, 8)]
        public int WeightBits { get; set; } = 8;

        /// <summary>
        /// Weight bits per layer (mixed precision): Conv2d or Linear layer name → 1, 2, 4 or 8. Default empty (every
        /// layer at <see cref="WeightBits"/>). Layers not named get <see cref="WeightBits"/> where that width alone would
        /// quantize them (8: every Conv2d and Linear layer; 1, 2 or 4: every convolution but a classifier one) and stay
        /// float otherwise; a named layer may not be in <see cref="KeepFloatLayers"/>.
        /// </summary>
        /// <remarks>
        /// Each layer trains with its weights fake-quantized at its own width (straight-through gradients) and is
        /// stored at that width in one standard ONNX model: 8 bits as int8 behind DequantizeLinear, 4 and 2 bits as
        /// INT4/INT2 cast to float, 1 bit packed (see <see cref="LevelWeights"/>). The widths decide the form:
        /// <list type="bullet">
        /// <item>every width 8 with <see cref="ActivationBits"/> 8: the int8 model, exactly as <see cref="WeightBits"/> 8 alone gives;</item>
        /// <item>every width 1, 2 or 4: the low-bit model (BatchNorm folded into the weights' scales) with uint8 or float activations;</item>
        /// <item>8-bit layers mixed with 1-, 2- or 4-bit ones: weight-only quantization, which needs <see cref="ActivationBits"/>
        /// 32. ONNX Runtime decodes the weights once, when the session starts, and runs float kernels; BatchNorm trains
        /// unfolded and folds into the weights at export (<see cref="FoldBatchNorm"/>, <see cref="QuantDelay"/>,
        /// <see cref="FreezeBatchNormAfter"/> and <see cref="Latency"/> apply to the int8 model only) and the model's
        /// gain is its size: it runs as fast as the float model of its widths.</item>
        /// </list>
        /// </remarks>
        public Dictionary<string, int> LayerWeightBits { get; set; } = new(StringComparer.Ordinal);

        /// <summary>
        /// Bits of the activations: 8 (uint8), or 32 (float) with 1-, 2- or 4-bit weights or with a
        /// <see cref="LayerWeightBits"/> mix of 8-bit and lower widths. Default 8.
        /// </summary>
        [Choice(new object[] { 8, 32 }, 8)]
        public int ActivationBits { get; set; } = 8;

        /// <summary>How activation ranges are tracked. Default <see cref="RangeTracking.MinMax"/> (Golden Stick's).</summary>
        [Choice(new object[] { RangeTracking.MinMax, RangeTracking.Ema }, RangeTracking.MinMax)]
        public RangeTracking ActivationRange { get; set; } = RangeTracking.MinMax;

        /// <summary>Decay of the moving average for <see cref="RangeTracking.Ema"/>. Default 0.999.</summary>
        [Range(0.9, 0.9999, 0.999, false)]
        public double EmaDecay { get; set; } = 0.999;

        /// <summary>Training steps in float (ranges are tracked) before fake quantization switches on (8-bit weights only). Default 0.</summary>
        [Range(0, 100000, 0, false)]
        public int QuantDelay { get; set; }

        /// <summary>
        /// Train each convolution folded with the BatchNorm after it (its weights are quantized as the exported
        /// model stores them; 8-bit weights only: lower bit widths keep BatchNorm unfolded). Default true (Golden Stick's one_conv_fold).
        /// </summary>
        [BooleanChoice(true)]
        public bool FoldBatchNorm { get; set; } = true;

        /// <summary>Steps after which folded BatchNorms use (and stop updating) their running statistics (8-bit weights only). Default 10,000,000 (Golden Stick's).</summary>
        [Range(0, 10000000, 10000000, false)]
        public int FreezeBatchNormAfter { get; set; } = 10_000_000;

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
            QuantizationBits.Validate(WeightBits, LayerWeightBits, ActivationBits, nameof(WeightBits), nameof(LayerWeightBits), nameof(ActivationBits));
            if (!Enum.IsDefined(ActivationRange))
                throw new ArgumentOutOfRangeException(nameof(ActivationRange), ActivationRange, "Unknown range tracking.");
            if (!(EmaDecay > 0 && EmaDecay < 1))
                throw new ArgumentOutOfRangeException(nameof(EmaDecay), EmaDecay, "EmaDecay must be in (0, 1).");
            if (QuantDelay < 0)
                throw new ArgumentOutOfRangeException(nameof(QuantDelay), QuantDelay, "QuantDelay must be >= 0 (training steps before quantization starts).");
            if (FreezeBatchNormAfter < 0)
                throw new ArgumentOutOfRangeException(nameof(FreezeBatchNormAfter), FreezeBatchNormAfter, "FreezeBatchNormAfter must be >= 0 (training steps).");
            ArgumentNullException.ThrowIfNull(KeepFloatLayers, nameof(KeepFloatLayers));
            ArgumentNullException.ThrowIfNull(Latency, nameof(Latency));
            Latency.Validate(nameof(Latency));
        }
    }

    private readonly IReadOnlyList<(string Name, int Bits)>? _lowBitLayers; // null for the int8 model
    private readonly string[] _keepFloat;
    private readonly IReadOnlyList<string> _keepFloatNotes;

    internal QuantizeAwareTrainer(CompressionCatalog catalog, StartingPoint startFrom, Options options)
        : base(catalog, startFrom, options, "QuantizeAwareTraining")
    {
        _lowBitLayers = QuantizationBits.LayerBits(Network, options.WeightBits, options.LayerWeightBits, options.KeepFloatLayers,
            nameof(Options.LayerWeightBits), nameof(Options.KeepFloatLayers));
        (_keepFloat, _keepFloatNotes) = SlowInt8Layers.Choose(Network, _lowBitLayers is null ? 8 : 1, options.KeepFloatLayers, options.Latency.KeepSlowLayersFloat);
    }

    private protected override FitResult FitCore(FitContext context)
    {
        string weights = _lowBitLayers is null ? "8"
            : _lowBitLayers.Select(l => l.Bits).Distinct().Count() == 1 ? FormattableString.Invariant($"{_lowBitLayers[0].Bits}")
            : "{" + string.Join(", ", _lowBitLayers.Select(l => FormattableString.Invariant($"{l.Name}: {l.Bits}"))) + "}";
        context.Info($"Quantization-aware training of {Network.Name} (W{weights}A{Settings.ActivationBits}) for {Settings.Epochs} epochs.");
        return _lowBitLayers is null ? FitInt8(context) : FitLowBit(context, _lowBitLayers);
    }

    private FitResult FitInt8(FitContext context)
    {
        foreach (string note in _keepFloatNotes) context.Info(note);
        using var model = new QuantizationAwareModel(Network, _keepFloat, nameof(Options.KeepFloatLayers),
            Settings.ActivationRange, Settings.EmaDecay, Settings.FoldBatchNorm);
        var schedule = new QuantizationSchedule(model, Settings.QuantDelay, Settings.FreezeBatchNormAfter,
            FormattableString.Invariant($"{Settings.ActivationRange}|{Settings.EmaDecay:R}|{Settings.FoldBatchNorm}|{string.Join(',', _keepFloat)}"));
        context.Run(model.Module, "SimQAT", hooks: schedule);
        (NetworkGraph trained, CompressedNetwork quantized) = model.Finish();
        quantized = context.CheckInt8Latency(quantized, trained, Settings.Latency);
        return new FitResult(quantized, trained, Int8LatencyGuard.MethodName("simqat", quantized));
    }

    // Straight-through QAT onto SLB's levels (the baseline SLB is compared with at 1, 2 and 4 bits), each layer at its
    // own width; 8-bit layers among them are fake-quantized to int8 (weight-only, float activations).
    private FitResult FitLowBit(FitContext context, IReadOnlyList<(string Name, int Bits)> layers)
    {
        bool a8 = Settings.ActivationBits == 8;
        using var model = new LowBitTrainingModel(Network, layers, a8,
            (layer, module, bits, scales) => new SteWeightModule(layer, module, bits, scales), Settings.ActivationRange, Settings.EmaDecay);
        context.Run(model.Module, "STE", hooks: model.Checkpoint());
        CompressedNetwork lowBit = model.Finish();
        return new FitResult(lowBit, lowBit.Graph, QuantizationBits.LowBitMethod("ste", layers.Select(l => l.Bits), a8));
    }
}
