using System;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Pruning;
using Microsoft.ML.Compression.Training;
using Microsoft.ML.Runtime;
using TorchSharp;

namespace Microsoft.ML.Compression.Estimators;

/// <summary>
/// L1-norm filter pruning (Li et al., 2017): in every layer (or coupled residual stage) the same fraction of filters,
/// those with the smallest L1 norm, is removed physically, then the smaller network is fine-tuned. The baseline the
/// other pruning methods are compared with at the same rate.
/// </summary>
public sealed class L1NormPruner : IEstimator<CompressedModelTransformer>
{
    /// <summary>Options of <see cref="L1NormPruner"/>: the shared pruning settings; <see cref="PruningOptions.PruneRate"/> applies to every layer.</summary>
    public sealed class Options : PruningOptions
    {
    }

    private readonly CompressionCatalog _catalog;
    private readonly NetworkGraph _start;
    private readonly string _featureColumn, _labelColumn;
    private readonly Options _options;

    internal L1NormPruner(CompressionCatalog catalog, StartingPoint startFrom, string featureColumnName, string labelColumnName, Options options)
    {
        ArgumentNullException.ThrowIfNull(startFrom);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(featureColumnName);
        ArgumentException.ThrowIfNullOrWhiteSpace(labelColumnName);
        options.Validate();
        var deps = new ChannelDependencies(startFrom.Network, options.Residual, options.ExcludeLayers, nameof(Options.ExcludeLayers));
        ChannelSelection.PerGroup(deps, ChannelImportance.FilterL1(deps), options.PruneRate, nameof(Options.PruneRate)); // a rate that empties a layer fails here
        _catalog = catalog;
        _start = startFrom.Network;
        _featureColumn = featureColumnName;
        _labelColumn = labelColumnName;
        _options = options;
    }

    /// <inheritdoc />
    public CompressedModelTransformer Fit(IDataView input) => Fit(input, null);

    /// <summary>Prunes and fine-tunes on <paramref name="trainData"/>, reporting accuracy on <paramref name="validationData"/> after each epoch.</summary>
    public CompressedModelTransformer Fit(IDataView trainData, IDataView? validationData)
    {
        var (train, validation) = LabeledDataset.ReadTrainAndValidation(trainData, validationData, _featureColumn, _labelColumn, _start);
        IHost host = _catalog.Environment.Register("Compression.L1NormPruning");
        using IChannel channel = host.Start("L1NormPruning");
        channel.Info(MessageSensitivity.None, $"L1-norm filter pruning of {_start.Name}: remove {_options.PruneRate:P0} of every layer's filters, then {_options.Epochs} fine-tuning epochs.");

        torch.random.manual_seed(_options.Seed);
        var steps = new PruningSteps(_options, channel, train, validation);
        ChannelDependencies deps = steps.Analyze(_start, noteSkipped: true);
        var removed = ChannelSelection.PerGroup(deps, ChannelImportance.FilterL1(deps), _options.PruneRate, nameof(Options.PruneRate));
        NetworkGraph graph = steps.Remove(deps, removed, "Smallest-L1 filters of each layer");
        graph = steps.Train(graph, _options.Epochs, "Fine-tuning");
        return steps.Finish(_catalog, _start, graph, $"l1-{Math.Round(_options.PruneRate * 100):0}", _featureColumn, trainData);
    }

    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema) =>
        ModelFactory.OutputSchema(inputSchema, _featureColumn, _labelColumn, _start);
}
