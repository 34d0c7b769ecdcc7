using Microsoft.ML.Compression.Estimators;
using Microsoft.ML.Compression.Training.Augmentation;
using Microsoft.ML.SearchSpace;

namespace Microsoft.ML.Compression.Training;

/// <summary>The optimizer a training run uses.</summary>
public enum OptimizerKind
{
    /// <summary>Stochastic gradient descent with (optionally Nesterov) momentum.</summary>
    Sgd,
    /// <summary>Adam (Kingma and Ba, 2015).</summary>
    Adam,
}

/// <summary>How the learning rate changes over a run.</summary>
public enum LearningRateSchedule
{
    /// <summary>The learning rate stays at <see cref="TrainingOptions.LearningRate"/>.</summary>
    Constant,
    /// <summary>Cosine annealing from the learning rate to zero over all steps, updated every step.</summary>
    Cosine,
    /// <summary>Multiplied by <see cref="TrainingOptions.StepGamma"/> every <see cref="TrainingOptions.StepEpochs"/> epochs.</summary>
    Step,
}

/// <summary>
/// Settings of the training loop shared by every method (plus, from <see cref="EstimatorOptions"/>, the columns, seed,
/// threads and cancellation every estimator has). The defaults train LeNet-5 on MNIST to about 99% in 8 epochs; every
/// numeric and choice option carries a search-space attribute for sweeps.
/// </summary>
public class TrainingOptions : EstimatorOptions
{
    /// <summary>Passes over the training data. Default 8.</summary>
    [Range(1, 500, 8, true)]
    public int Epochs { get; set; } = 8;

    /// <summary>Samples per mini-batch. Default 64.</summary>
    [Range(8, 1024, 64, true)]
    public int BatchSize { get; set; } = 64;

    /// <summary>The optimizer. Default <see cref="OptimizerKind.Sgd"/> with momentum.</summary>
    [Choice(new object[] { OptimizerKind.Sgd, OptimizerKind.Adam }, OptimizerKind.Sgd)]
    public OptimizerKind Optimizer { get; set; } = OptimizerKind.Sgd;

    /// <summary>Initial learning rate. Default 0.05 (use about 1e-3 with Adam).</summary>
    [Range(1e-5, 1.0, 0.05, true)]
    public double LearningRate { get; set; } = 0.05;

    /// <summary>SGD momentum. Default 0.9.</summary>
    [Range(0.0, 0.99, 0.9, false)]
    public double Momentum { get; set; } = 0.9;

    /// <summary>Nesterov momentum for SGD. Default true.</summary>
    [BooleanChoice(true)]
    public bool Nesterov { get; set; } = true;

    /// <summary>L2 weight decay. Default 5e-4.</summary>
    [Range(0.0, 1e-2, 5e-4, false)]
    public double WeightDecay { get; set; } = 5e-4;

    /// <summary>Learning-rate schedule. Default <see cref="LearningRateSchedule.Cosine"/>.</summary>
    [Choice(new object[] { LearningRateSchedule.Constant, LearningRateSchedule.Cosine, LearningRateSchedule.Step }, LearningRateSchedule.Cosine)]
    public LearningRateSchedule Schedule { get; set; } = LearningRateSchedule.Cosine;

    /// <summary>Epochs between decays for <see cref="LearningRateSchedule.Step"/>. Default 3.</summary>
    [Range(1, 200, 3, false)]
    public int StepEpochs { get; set; } = 3;

    /// <summary>Decay factor for <see cref="LearningRateSchedule.Step"/>. Default 0.1.</summary>
    [Range(0.01, 1.0, 0.1, false)]
    public double StepGamma { get; set; } = 0.1;

    /// <summary>
    /// Random crops and flips of the training images (never of validation or calibration data), drawn from the seed;
    /// needs a network with an image input. Default null: the images as they are.
    /// </summary>
    public ImageAugmentation? Augmentation { get; set; }

    /// <summary>
    /// A folder where the loop keeps the state after each completed epoch (weights, BatchNorm statistics, optimizer
    /// state, random state, the method's own training state such as activation ranges, and a JSON manifest), written
    /// atomically. A Fit started again with the same folder after a crash continues from the last completed epoch and
    /// ends with the same model as an uninterrupted run; a checkpoint of another run (other network, data size, seed,
    /// method or settings) is refused, naming the folder. Every training method supports it. A method with one
    /// training loop keeps its checkpoint in the folder itself; one with several phases gives each phase its own
    /// subfolder (SCOP: <c>1-control</c>, <c>2-finetune</c>; Network Slimming: <c>1-sparsity</c>, <c>2-finetune</c>,
    /// <c>3-sparsity</c>, ... per round), and a phase whose checkpoint holds its last epoch trains nothing, so the
    /// channel selection after it is recomputed from the same weights. In a <see cref="Estimators.CompressionPlan"/>
    /// with its own checkpoint folder, a step without one uses <c>step-k-Name</c> under the plan's. The seed must
    /// resolve the same (set <see cref="EstimatorOptions.Seed"/> or use an MLContext seed). Default null: no checkpoints.
    /// </summary>
    public string? CheckpointDirectory { get; set; }

    /// <summary>
    /// When the Fit is cancelled (by <see cref="EstimatorOptions.CancellationToken"/> or the MLContext), return the best
    /// model there is (logged and named in <see cref="Analysis.ModelReport.PartialModel"/>) instead of throwing
    /// <see cref="OperationCanceledException"/>: for a method with one training loop, the model of its last completed
    /// epoch. A pruning method cancelled in fine-tuning returns the pruned network as fine-tuned after the last
    /// completed epoch (the pruned network not fine-tuned at all when no epoch completed); cancelled in its first phase
    /// (SCOP's control coefficients, slimming's sparsity training) after at least one epoch, it prunes with the scores
    /// of that phase's last completed epoch and returns that network without fine-tuning (later slimming rounds are
    /// skipped). A Fit cancelled before its first training phase completed an epoch has no model and throws
    /// <see cref="OperationCanceledException"/> naming the phase. Default false.
    /// </summary>
    public bool ReturnPartialModelOnCancel { get; set; }

    /// <summary>A copy of these settings with <paramref name="seed"/> (the seed a Fit resolved from the MLContext).</summary>
    internal TrainingOptions WithSeed(int seed)
    {
        var copy = (TrainingOptions)MemberwiseClone();
        copy.Seed = seed;
        return copy;
    }

    /// <summary>A copy of these settings that keeps its checkpoints in <paramref name="directory"/> (one phase of a multi-phase method, one step of a plan).</summary>
    internal TrainingOptions WithCheckpointDirectory(string? directory)
    {
        var copy = (TrainingOptions)MemberwiseClone();
        copy.CheckpointDirectory = directory;
        return copy;
    }

    /// <summary>A copy of these settings that trains for <paramref name="epochs"/> epochs (one phase of a multi-phase method).</summary>
    internal TrainingOptions WithEpochs(int epochs)
    {
        var copy = (TrainingOptions)MemberwiseClone();
        copy.Epochs = epochs;
        return copy;
    }

    /// <summary>A copy that trains with another optimizer and learning rate, without weight decay (e.g. a phase that trains only a few coefficients).</summary>
    internal TrainingOptions WithOptimizer(int epochs, OptimizerKind optimizer, double learningRate)
    {
        var copy = WithEpochs(epochs);
        copy.Optimizer = optimizer;
        copy.LearningRate = learningRate;
        copy.WeightDecay = 0;
        return copy;
    }

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        if (Epochs < 1) throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "Epochs must be at least 1.");
        if (BatchSize < 2) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "BatchSize must be at least 2 (BatchNorm needs two samples).");
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate)) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "LearningRate must be a positive number.");
        if (Momentum < 0 || Momentum >= 1) throw new ArgumentOutOfRangeException(nameof(Momentum), Momentum, "Momentum must be in [0, 1).");
        if (WeightDecay < 0) throw new ArgumentOutOfRangeException(nameof(WeightDecay), WeightDecay, "WeightDecay must be >= 0.");
        if (StepEpochs < 1) throw new ArgumentOutOfRangeException(nameof(StepEpochs), StepEpochs, "StepEpochs must be at least 1.");
        if (!(StepGamma > 0) || StepGamma > 1) throw new ArgumentOutOfRangeException(nameof(StepGamma), StepGamma, "StepGamma must be in (0, 1].");
        if (!Enum.IsDefined(Optimizer)) throw new ArgumentOutOfRangeException(nameof(Optimizer), Optimizer, "Unknown optimizer.");
        if (!Enum.IsDefined(Schedule)) throw new ArgumentOutOfRangeException(nameof(Schedule), Schedule, "Unknown learning-rate schedule.");
        Augmentation?.Validate();
        if (CheckpointDirectory is not null && string.IsNullOrWhiteSpace(CheckpointDirectory))
            throw new ArgumentException("CheckpointDirectory must be a folder path or null.", nameof(CheckpointDirectory));
    }
}
