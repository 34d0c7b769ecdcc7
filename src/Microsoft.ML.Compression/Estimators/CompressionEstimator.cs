using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Scoring;
using Microsoft.ML.Compression.Training;
using Microsoft.ML.Compression.Training.Augmentation;
using Microsoft.ML.Runtime;
using Microsoft.ML;
using TorchSharp;

namespace Microsoft.ML.Compression.Estimators;

/// <summary>
/// The Fit skeleton every method of this library shares (in the spirit of ML.NET's TorchSharpBaseTrainer): options
/// checked when the estimator is created, one host and log channel per Fit, the seed (the options' or the
/// MLContext's), the process-wide TorchSharp session (thread count set and restored), cancellation through
/// <c>MLContext.CancelExecution()</c> or the options' token, and the fitted model exported, measured and wrapped for
/// ML.NET scoring. Each method supplies only <see cref="FitCore"/>.
/// </summary>
/// <typeparam name="TOptions">The method's options.</typeparam>
public abstract class CompressionEstimator<TOptions> : IEstimator<CompressedModelTransformer> where TOptions : EstimatorOptions
{
    private readonly CompressionCatalog _catalog;
    private readonly string _name;

    private protected CompressionEstimator(CompressionCatalog catalog, NetworkGraph network, TOptions options, string name)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        (options as CompressionOptions)?.CheckTeacher(network);
        if (options is TrainingOptions { Augmentation: { } augmentation }) BatchAugmenter.For(augmentation, network);
        _catalog = catalog;
        _name = name;
        Network = network;
        Settings = options;
    }

    private protected CompressionEstimator(CompressionCatalog catalog, StartingPoint startFrom, TOptions options, string name)
        : this(catalog, (startFrom ?? throw new ArgumentNullException(nameof(startFrom))).Network, options, name)
    {
    }

    /// <summary>The network the method starts from (the student, for distillation).</summary>
    private protected NetworkGraph Network { get; }

    /// <summary>The method's options (validated).</summary>
    private protected TOptions Settings { get; }

    /// <summary>Whether Fit reads the label column (post-training quantization only reads features).</summary>
    private protected virtual bool ReadsLabels => true;

    /// <inheritdoc />
    public CompressedModelTransformer Fit(IDataView input) => Fit(input, null);

    /// <summary>Fits on <paramref name="trainData"/>, reporting accuracy on <paramref name="validationData"/> after each epoch.</summary>
    public CompressedModelTransformer Fit(IDataView trainData, IDataView? validationData)
    {
        ArgumentNullException.ThrowIfNull(trainData);
        FeatureSchema.CheckLayout(trainData.Schema, Settings.FeatureColumnName, Network);
        if (validationData is not null) FeatureSchema.CheckLayout(validationData.Schema, Settings.FeatureColumnName, Network);
        IHost host = _catalog.Environment.Register("Compression." + _name);
        using IChannel channel = host.Start(_name);
        using var context = new FitContext(_catalog.Environment, host, channel, Settings, Network, trainData, validationData);
        using (TorchSession.Enter(context.CheckAlive, Settings.Threads))
        {
            context.CheckAlive();
            torch.random.manual_seed(context.Seed);
            FitResult result = FitCore(context);
            if (context.PartialModel is null) context.CheckAlive();
            return CompressedModelTransformer.Create(_catalog, Network, result, Settings, trainData, context);
        }
    }

    /// <summary>The method itself: from <see cref="Network"/> and the data in <paramref name="context"/> to the model to export.</summary>
    private protected abstract FitResult FitCore(FitContext context);

    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema) =>
        ScoringSchema.Output(inputSchema, Settings, Network.InputSize, Network.ClassCount, ReadsLabels);
}
