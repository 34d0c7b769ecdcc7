using System;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Pruning;
using Microsoft.ML.Compression.Training;
using Microsoft.ML.Runtime;
using TorchSharp;

namespace Microsoft.ML.Compression.Estimators;

/// <summary>
/// What the structured pruning estimators share: argument checks, reading the data, logging, and the fitted model
/// with its <see cref="Analysis.PruningReport"/>. Each method supplies how it trains, scores and removes channels.
/// </summary>
/// <typeparam name="TOptions">The method's options.</typeparam>
public abstract class PruningEstimator<TOptions> : IEstimator<CompressedModelTransformer> where TOptions : PruningOptions
{
    private readonly CompressionCatalog _catalog;
    private readonly string _featureColumn, _labelColumn;
    private readonly string _logName;

    private protected PruningEstimator(CompressionCatalog catalog, StartingPoint startFrom, string featureColumnName, string labelColumnName,
        TOptions options, string logName)
    {
        ArgumentNullException.ThrowIfNull(startFrom);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(featureColumnName);
        ArgumentException.ThrowIfNullOrWhiteSpace(labelColumnName);
        options.Validate();
        options.CheckTeacher(startFrom.Network);
        _catalog = catalog;
        Start = startFrom.Network;
        _featureColumn = featureColumnName;
        _labelColumn = labelColumnName;
        Settings = options;
        _logName = logName;
    }

    /// <summary>The trained network pruning starts from.</summary>
    private protected NetworkGraph Start { get; }

    /// <summary>The method's options (validated).</summary>
    private protected TOptions Settings { get; }

    /// <summary>Fails before Fit, naming the layer, when the per-layer <see cref="PruningOptions.PruneRate"/> would empty one.</summary>
    private protected void CheckPerLayerRate()
    {
        ChannelDependencies deps = Settings.Dependencies(Start);
        ChannelSelection.PerGroup(deps, ChannelImportance.FilterL1(deps), Settings.PruneRate, nameof(PruningOptions.PruneRate));
    }

    /// <summary>The method's name in the report and the ONNX metadata, e.g. "slim50".</summary>
    private protected abstract string Method { get; }

    /// <summary>Runs the method from <see cref="Start"/> and returns the pruned, fine-tuned network.</summary>
    private protected abstract NetworkGraph Prune(PruningSteps steps);

    /// <inheritdoc />
    public CompressedModelTransformer Fit(IDataView input) => Fit(input, null);

    /// <summary>Prunes and fine-tunes on <paramref name="trainData"/>, reporting accuracy on <paramref name="validationData"/> after each epoch.</summary>
    public CompressedModelTransformer Fit(IDataView trainData, IDataView? validationData)
    {
        var (train, validation) = LabeledDataset.ReadTrainAndValidation(trainData, validationData, _featureColumn, _labelColumn, Start);
        IHost host = _catalog.Environment.Register("Compression." + _logName);
        using IChannel channel = host.Start(_logName);
        torch.random.manual_seed(Settings.Seed);
        var steps = new PruningSteps(Settings, channel, train, validation);
        NetworkGraph pruned = Prune(steps);
        return steps.Finish(_catalog, Start, pruned, Method, _featureColumn, trainData);
    }

    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema) =>
        ModelFactory.OutputSchema(inputSchema, _featureColumn, _labelColumn, Start);
}
