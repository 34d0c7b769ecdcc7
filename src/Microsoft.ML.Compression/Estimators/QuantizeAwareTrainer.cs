using System;
using System.Collections.Generic;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Quantization;
using Microsoft.ML.Compression.Quantization.LowBit;
using Microsoft.ML.Compression.Training;
using Microsoft.ML.Runtime;
using Microsoft.ML.SearchSpace;
using TorchSharp;

namespace Microsoft.ML.Compression.Estimators;

/// <summary>
/// SimQAT (Jacob et al., 2018): fine-tunes a trained network with simulated int8 quantization (per-channel symmetric
/// int8 weights, per-tensor asymmetric uint8 activations, straight-through gradients), then exports it as int8 QDQ
/// ONNX that ONNX Runtime runs with integer kernels (QLinearConv, QGemm).
/// </summary>
/// <remarks>
/// Each convolution followed by a BatchNorm trains folded with it (the exported model always folds them); activation
/// ranges are tracked from the training batches. The fitted transformer's <see cref="CompressedModelTransformer.Quantized"/>
/// describes the int8 model and its report gives per-layer bit widths and the size relative to fp32.
/// </remarks>
public sealed class QuantizeAwareTrainer : IEstimator<CompressedModelTransformer>
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
        /// kept unfolded (it absorbs the scale). Default 8.
        /// </summary>
        [Choice(new object[] { 1, 2, 4, 8 }, 8)]
        public int WeightBits { get; set; } = 8;

        /// <summary>Bits of the activations: 8 (uint8), or 32 (float) with 1-, 2- or 4-bit weights. Default 8.</summary>
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

        /// <inheritdoc />
        public override void Validate()
        {
            base.Validate();
            QuantizationBits.Validate(WeightBits, ActivationBits, nameof(WeightBits), nameof(ActivationBits));
            if (!Enum.IsDefined(ActivationRange))
                throw new ArgumentOutOfRangeException(nameof(ActivationRange), ActivationRange, "Unknown range tracking.");
            if (!(EmaDecay > 0 && EmaDecay < 1))
                throw new ArgumentOutOfRangeException(nameof(EmaDecay), EmaDecay, "EmaDecay must be in (0, 1).");
            if (QuantDelay < 0)
                throw new ArgumentOutOfRangeException(nameof(QuantDelay), QuantDelay, "QuantDelay must be >= 0 (training steps before quantization starts).");
            if (FreezeBatchNormAfter < 0)
                throw new ArgumentOutOfRangeException(nameof(FreezeBatchNormAfter), FreezeBatchNormAfter, "FreezeBatchNormAfter must be >= 0 (training steps).");
            ArgumentNullException.ThrowIfNull(KeepFloatLayers, nameof(KeepFloatLayers));
        }
    }

    private readonly CompressionCatalog _catalog;
    private readonly NetworkGraph _start;
    private readonly string _featureColumn, _labelColumn;
    private readonly Options _options;
    private readonly IReadOnlyList<string>? _lowBitLayers;

    internal QuantizeAwareTrainer(CompressionCatalog catalog, StartingPoint startFrom, string featureColumnName, string labelColumnName, Options options)
    {
        ArgumentNullException.ThrowIfNull(startFrom);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(featureColumnName);
        ArgumentException.ThrowIfNullOrWhiteSpace(labelColumnName);
        options.Validate();
        options.CheckTeacher(startFrom.Network);
        QuantizationPlan.WeightLayers(startFrom.Network, options.KeepFloatLayers, nameof(Options.KeepFloatLayers)); // fail before Fit
        if (options.WeightBits < 8) _lowBitLayers = QuantizationBits.LowBitLayers(options.KeepFloatLayers).Select(startFrom.Network, nameof(Options.KeepFloatLayers));
        _catalog = catalog;
        _start = startFrom.Network;
        _featureColumn = featureColumnName;
        _labelColumn = labelColumnName;
        _options = options;
    }

    /// <inheritdoc />
    public CompressedModelTransformer Fit(IDataView input) => Fit(input, null);

    /// <summary>Fine-tunes on <paramref name="trainData"/>, reporting quantized accuracy on <paramref name="validationData"/> after each epoch.</summary>
    public CompressedModelTransformer Fit(IDataView trainData, IDataView? validationData)
    {
        var (train, validation) = LabeledDataset.ReadTrainAndValidation(trainData, validationData, _featureColumn, _labelColumn, _start);

        IHost host = _catalog.Environment.Register("Compression.QuantizeAwareTraining");
        using IChannel channel = host.Start("SimQAT");
        channel.Info(MessageSensitivity.None, $"Quantization-aware training of {_start.Name} (W{_options.WeightBits}A{_options.ActivationBits}) on {train.Count} rows for {_options.Epochs} epochs.");

        if (_options.DistillationSummary is string kd) channel.Info(MessageSensitivity.None, kd);
        torch.random.manual_seed(_options.Seed);
        var loop = new TrainingLoop(_options, channel, _options.OnEpoch, _options.CancellationToken);
        if (_lowBitLayers is not null)
        {
            int bits = _options.WeightBits;
            bool a8 = _options.ActivationBits == 8;
            using var lowBitModel = new LowBitTrainingModel(_start, _lowBitLayers, bits, a8,
                (layer, module, scales) => new SteWeightModule(layer, module, bits, scales), _options.ActivationRange, _options.EmaDecay);
            using var lowBitDistillation = _options.Distillation(lowBitModel.Module);
            IReadOnlyList<EpochMetrics> lowBitHistory = loop.Run(lowBitModel.Module, train, validation, new[] { lowBitDistillation });
            if (lowBitDistillation?.Outcome is string lowBitOutcome) channel.Info(MessageSensitivity.None, lowBitOutcome);
            return ModelFactory.Create(_catalog.Transforms, lowBitModel.Finish(), $"ste-w{bits}" + (a8 ? "a8" : ""), _featureColumn, trainData, lowBitHistory);
        }
        using var model = new QuantizationAwareModel(_start, _options.KeepFloatLayers, nameof(Options.KeepFloatLayers),
            _options.ActivationRange, _options.EmaDecay, _options.FoldBatchNorm, _options.WeightBits);
        var schedule = new QuantizationSchedule(model, _options.QuantDelay, _options.FreezeBatchNormAfter);
        using var distillation = _options.Distillation(model.Module);
        IReadOnlyList<EpochMetrics> history = loop.Run(model.Module, train, validation, new ITrainingHook?[] { schedule, distillation });
        if (distillation?.Outcome is string outcome) channel.Info(MessageSensitivity.None, outcome);
        (NetworkGraph trained, QuantizedNetwork quantized) = model.Finish();
        return ModelFactory.Create(_catalog.Transforms, trained, quantized, "simqat-int8", _featureColumn, trainData, history);
    }

    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema) =>
        ModelFactory.OutputSchema(inputSchema, _featureColumn, _labelColumn, _start);
}
