using System;
using System.Collections.Generic;
using System.Threading;
using Microsoft.ML.Compression.Analysis;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Onnx;
using Microsoft.ML.Compression.Training;
using Microsoft.ML.Runtime;
using TorchSharp;

namespace Microsoft.ML.Compression.Estimators;

/// <summary>
/// Trains a network (from <see cref="Zoo.NetworkZoo"/> or built with <see cref="NetworkBuilder"/>) in TorchSharp
/// and returns a <see cref="CompressedModelTransformer"/> that scores it through ONNX Runtime. This is the
/// full-precision baseline every compression method starts from.
/// </summary>
/// <remarks>
/// Input: a known-size float vector column of C*H*W values (images row-major, e.g. pixel/255) and a label column
/// (key type, or an integer class index from 0). If the network already has weights, training continues from them.
/// Each epoch is logged through the MLContext's log and reported to <see cref="CompressionOptions.OnEpoch"/>.
/// </remarks>
public sealed class NetworkTrainer : IEstimator<CompressedModelTransformer>
{
    /// <summary>Options of <see cref="NetworkTrainer"/>: the training loop's settings plus the column names.</summary>
    public sealed class Options : CompressionOptions
    {
        /// <summary>The feature column: float vector of C*H*W values. Default "Features".</summary>
        public string FeatureColumnName { get; set; } = "Features";

        /// <summary>The label column: key type or 0-based integer class. Default "Label".</summary>
        public string LabelColumnName { get; set; } = "Label";
    }

    private readonly CompressionCatalog _catalog;
    private readonly NetworkGraph _network;
    private readonly Options _options;

    internal NetworkTrainer(CompressionCatalog catalog, NetworkGraph network, Options options)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        options.CheckTeacher(network);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.FeatureColumnName, nameof(options.FeatureColumnName));
        ArgumentException.ThrowIfNullOrWhiteSpace(options.LabelColumnName, nameof(options.LabelColumnName));
        _catalog = catalog;
        _network = network;
        _options = options;
    }

    /// <inheritdoc />
    public CompressedModelTransformer Fit(IDataView input) => Fit(input, null);

    /// <summary>Trains on <paramref name="trainData"/>, reporting accuracy on <paramref name="validationData"/> after each epoch.</summary>
    public CompressedModelTransformer Fit(IDataView trainData, IDataView? validationData) =>
        Train(_catalog, _network, _options, _options.FeatureColumnName, _options.LabelColumnName, trainData, validationData, "Train",
            _options.Teacher is null ? "fp32" : "kd");

    /// <summary>Trains <paramref name="network"/> (against <paramref name="options"/>' teacher, if any) and wraps it as an fp32 model named <paramref name="method"/>.</summary>
    internal static CompressedModelTransformer Train(CompressionCatalog catalog, NetworkGraph network, CompressionOptions options,
        string featureColumn, string labelColumn, IDataView trainData, IDataView? validationData, string logName, string method)
    {
        var (train, validation) = LabeledDataset.ReadTrainAndValidation(trainData, validationData, featureColumn, labelColumn, network);

        IHost host = catalog.Environment.Register("Compression." + logName);
        using IChannel channel = host.Start(logName);
        channel.Info(MessageSensitivity.None, $"Training {network.Name} on {train.Count} rows for {options.Epochs} epochs.");
        if (options.DistillationSummary is string kd) channel.Info(MessageSensitivity.None, kd);

        torch.random.manual_seed(options.Seed);
        using var module = new GraphModule(network);
        using var distillation = options.Distillation(module);
        var loop = new TrainingLoop(options, channel, options.OnEpoch, options.CancellationToken);
        IReadOnlyList<EpochMetrics> history = loop.Run(module, train, validation, new[] { distillation });
        if (distillation?.Outcome is string outcome) channel.Info(MessageSensitivity.None, outcome);
        NetworkGraph trained = module.ToGraph();
        return ModelFactory.Create(catalog.Transforms, trained, featureColumn, trainData, history, method);
    }

    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema) =>
        ModelFactory.OutputSchema(inputSchema, _options.FeatureColumnName, _options.LabelColumnName, _network);
}
