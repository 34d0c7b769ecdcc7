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
        ArgumentException.ThrowIfNullOrWhiteSpace(options.FeatureColumnName, nameof(options.FeatureColumnName));
        ArgumentException.ThrowIfNullOrWhiteSpace(options.LabelColumnName, nameof(options.LabelColumnName));
        _catalog = catalog;
        _network = network;
        _options = options;
    }

    /// <inheritdoc />
    public CompressedModelTransformer Fit(IDataView input) => Fit(input, null);

    /// <summary>Trains on <paramref name="trainData"/>, reporting accuracy on <paramref name="validationData"/> after each epoch.</summary>
    public CompressedModelTransformer Fit(IDataView trainData, IDataView? validationData)
    {
        var (train, validation) = LabeledDataset.ReadTrainAndValidation(trainData, validationData, _options.FeatureColumnName, _options.LabelColumnName, _network);

        IHost host = _catalog.Environment.Register("Compression.Train");
        using IChannel channel = host.Start("Training");
        channel.Info(MessageSensitivity.None, $"Training {_network.Name} on {train.Count} rows for {_options.Epochs} epochs.");

        torch.random.manual_seed(_options.Seed);
        using var module = new GraphModule(_network);
        var loop = new TrainingLoop(_options, channel, _options.OnEpoch, _options.CancellationToken);
        IReadOnlyList<EpochMetrics> history = loop.Run(module, train, validation);
        NetworkGraph trained = module.ToGraph();
        return ModelFactory.Create(_catalog.Transforms, trained, _options.FeatureColumnName, trainData, history);
    }

    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema) =>
        ModelFactory.OutputSchema(inputSchema, _options.FeatureColumnName, _options.LabelColumnName, _network);
}
