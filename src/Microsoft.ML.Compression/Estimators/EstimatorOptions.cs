using System.Threading;
using Microsoft.ML.Compression.Training;

namespace Microsoft.ML.Compression.Estimators;

/// <summary>
/// Settings every estimator of this library shares, as ML.NET's trainers have them: the columns it reads and writes,
/// the seed, the CPU threads and cancellation.
/// </summary>
public abstract class EstimatorOptions
{
    // The defaults, also what a plan step's options may leave in place of the plan's columns.
    private const string DefaultFeatureColumn = "Features", DefaultLabelColumn = "Label", DefaultScoreColumn = "Score",
        DefaultPredictedLabelColumn = "PredictedLabel";

    /// <summary>The feature column: a known-size vector of Single holding C*H*W values per row. Default "Features".</summary>
    public string FeatureColumnName { get; set; } = DefaultFeatureColumn;

    /// <summary>The label column: a key type, or an integer class index from 0. Default "Label".</summary>
    public string LabelColumnName { get; set; } = DefaultLabelColumn;

    /// <summary>The output column of class probabilities (softmax of the logits), vector of Single. Default "Score".</summary>
    public string ScoreColumnName { get; set; } = DefaultScoreColumn;

    /// <summary>
    /// The output column of the most probable class: a key with one value per class, whose values are the label
    /// column's key values (class names) when it has them, as with ML.NET's multiclass trainers. Default "PredictedLabel".
    /// </summary>
    public string PredictedLabelColumnName { get; set; } = DefaultPredictedLabelColumn;

    /// <summary>
    /// Seed for weight initialisation, shuffling, dropout and sampling; the same seed and data give the same model.
    /// Default null: drawn from the MLContext, so <c>new MLContext(seed: s)</c> makes runs reproducible.
    /// </summary>
    public int? Seed { get; set; }

    /// <summary>CPU threads TorchSharp uses during Fit (restored afterwards); null (default) keeps libtorch's setting.</summary>
    public int? Threads { get; set; }

    /// <summary>
    /// Where Fit keeps the rows it reads from the data (once, on first use): <see cref="DataCaching.Memory"/> as
    /// floats, <see cref="DataCaching.Disk"/> in a temporary file (one byte per value for raw pixels) read back batch by
    /// batch, for data larger than memory, with the same trained result; <see cref="DataCaching.Auto"/> (default) uses
    /// memory up to 512 MiB of floats and disk beyond.
    /// </summary>
    public DataCaching DataCache { get; set; } = DataCaching.Auto;

    /// <summary>Stops Fit between batches; <c>MLContext.CancelExecution()</c> does too.</summary>
    public CancellationToken CancellationToken { get; set; }

    /// <summary>Throws when an option is out of range, naming it.</summary>
    public virtual void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(FeatureColumnName, nameof(FeatureColumnName));
        ArgumentException.ThrowIfNullOrWhiteSpace(LabelColumnName, nameof(LabelColumnName));
        ArgumentException.ThrowIfNullOrWhiteSpace(ScoreColumnName, nameof(ScoreColumnName));
        ArgumentException.ThrowIfNullOrWhiteSpace(PredictedLabelColumnName, nameof(PredictedLabelColumnName));
        if (ScoreColumnName == PredictedLabelColumnName)
            throw new ArgumentException($"ScoreColumnName and PredictedLabelColumnName are both '{ScoreColumnName}'; the two outputs need different names.", nameof(PredictedLabelColumnName));
        if (!Enum.IsDefined(DataCache)) throw new ArgumentOutOfRangeException(nameof(DataCache), DataCache, "DataCache must be Auto, Memory or Disk.");
        if (Threads is < 1) throw new ArgumentOutOfRangeException(nameof(Threads), Threads, "Threads must be at least 1 (or null for libtorch's setting).");
    }

    /// <summary>
    /// A copy of these settings reading and writing the columns of <paramref name="columns"/> (e.g. a plan's step), and
    /// keeping rows where <paramref name="columns"/> does unless these settings chose a <see cref="DataCache"/> of their
    /// own; throws when these settings name other columns than their defaults and <paramref name="columns"/>'.
    /// </summary>
    internal EstimatorOptions WithColumnsOf(EstimatorOptions columns)
    {
        void Check(string name, string mine, string theirs, string byDefault)
        {
            if (mine != theirs && mine != byDefault)
                throw new ArgumentException($"{GetType().DeclaringType?.Name ?? GetType().Name}.Options.{name} is '{mine}' but the plan uses '{theirs}'; every step reads and writes the plan's columns.", name);
        }
        Check(nameof(FeatureColumnName), FeatureColumnName, columns.FeatureColumnName, DefaultFeatureColumn);
        Check(nameof(LabelColumnName), LabelColumnName, columns.LabelColumnName, DefaultLabelColumn);
        Check(nameof(ScoreColumnName), ScoreColumnName, columns.ScoreColumnName, DefaultScoreColumn);
        Check(nameof(PredictedLabelColumnName), PredictedLabelColumnName, columns.PredictedLabelColumnName, DefaultPredictedLabelColumn);
        var copy = (EstimatorOptions)MemberwiseClone();
        copy.FeatureColumnName = columns.FeatureColumnName;
        copy.LabelColumnName = columns.LabelColumnName;
        copy.ScoreColumnName = columns.ScoreColumnName;
        copy.PredictedLabelColumnName = columns.PredictedLabelColumnName;
        if (copy.DataCache == DataCaching.Auto) copy.DataCache = columns.DataCache;
        return copy;
    }
}
