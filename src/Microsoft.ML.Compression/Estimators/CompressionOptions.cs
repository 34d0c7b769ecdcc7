using System.Threading;
using Microsoft.ML.Compression.Distillation;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Training;
using Microsoft.ML.SearchSpace;

namespace Microsoft.ML.Compression.Estimators;

/// <summary>
/// Settings every training estimator shares: the columns, the training loop's options, an optional teacher to distil
/// from and a per-epoch callback.
/// </summary>
public abstract class CompressionOptions : TrainingOptions
{
    /// <summary>Called after every epoch with its metrics (e.g. to plot, or to stop early through the token).</summary>
    public Action<EpochMetrics>? OnEpoch { get; set; }

    /// <summary>
    /// A trained model to distil from while this method trains (e.g. the fp32 model a compressed one came from):
    /// the loss becomes Hinton's distillation loss (see <see cref="DistillationLoss"/>). It must predict the same
    /// classes from the same input as the trained network. A quantized teacher teaches with its float weights.
    /// Default null (plain cross-entropy).
    /// </summary>
    public StartingPoint? Teacher { get; set; }

    /// <summary>Softmax temperature T of the distillation loss (used with a <see cref="Teacher"/>). Default 4.</summary>
    [Range(1.0, 20.0, 4.0, true)]
    public double DistillationTemperature { get; set; } = 4;

    /// <summary>Weight alpha of the teacher's soft targets against the labels' cross-entropy, in [0, 1]. Default 0.9.</summary>
    [Range(0.0, 1.0, 0.9, false)]
    public double DistillationWeight { get; set; } = 0.9;

    /// <summary>Feature hints between named layers of the trained network and the <see cref="Teacher"/>. Default none.</summary>
    public FeatureHint[] Hints { get; set; } = Array.Empty<FeatureHint>();

    /// <summary>Weight of each hint's mean squared error in the loss. Default 1.</summary>
    [Range(0.0, 100.0, 1.0, false)]
    public double HintWeight { get; set; } = 1;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        if (!(DistillationTemperature > 0) || double.IsInfinity(DistillationTemperature))
            throw new ArgumentOutOfRangeException(nameof(DistillationTemperature), DistillationTemperature, "DistillationTemperature must be a positive number.");
        if (!(DistillationWeight >= 0 && DistillationWeight <= 1))
            throw new ArgumentOutOfRangeException(nameof(DistillationWeight), DistillationWeight, "DistillationWeight (alpha) must be in [0, 1].");
        if (!(HintWeight >= 0) || double.IsInfinity(HintWeight))
            throw new ArgumentOutOfRangeException(nameof(HintWeight), HintWeight, "HintWeight must be a finite number >= 0.");
        ArgumentNullException.ThrowIfNull(Hints, nameof(Hints));
        if (Hints.Length > 0 && Teacher is null)
            throw new ArgumentException("Hints need a Teacher to take the target features from.", nameof(Hints));
    }

    /// <summary>Fails before Fit when the <see cref="Teacher"/> cannot teach <paramref name="student"/> (classes, input, hint layers).</summary>
    internal void CheckTeacher(NetworkGraph student)
    {
        if (Teacher is not null) TeacherChecks.CheckCompatible(student, Teacher.Network, Hints, nameof(Teacher));
    }

    /// <summary>
    /// Where training phases that later steps do not change are kept for the next Fit with the same cache (a sweep
    /// sets it for its trials); null: every Fit trains every phase.
    /// </summary>
    internal TrainedPhaseCache? PhaseCache { get; set; }

    /// <summary>What the distillation reads (teacher weights and loss settings), for keys of <see cref="PhaseCache"/>; "-" without a teacher.</summary>
    internal string DistillationFingerprint => Teacher is null ? "-"
        : DistillationHook.FingerprintOf(Teacher.Network, DistillationTemperature, DistillationWeight, Hints, HintWeight);

    /// <summary>A line for the log describing the distillation, or null without a teacher.</summary>
    internal string? DistillationSummary => Teacher is null ? null
        : $"Distilling from teacher '{Teacher.Network.Name}' ({Teacher.Network.ParameterCount:N0} parameters): T = {DistillationTemperature}, alpha = {DistillationWeight}"
          + (Hints.Length == 0 ? "." : $", hints {string.Join(", ", Array.ConvertAll(Hints, h => h.StudentLayer + "->" + h.TeacherLayer))} x {HintWeight}.");

    /// <summary>The distillation hook for <paramref name="student"/>, or null without a teacher; dispose it after training.</summary>
    internal DistillationHook? Distillation(GraphModule student) =>
        Teacher is null ? null : new DistillationHook(student, Teacher.Network, DistillationTemperature, DistillationWeight, Hints, HintWeight);

    /// <summary>A copy of these settings with <paramref name="teacher"/> (e.g. a plan's teacher for a step that names none).</summary>
    internal CompressionOptions WithTeacher(StartingPoint teacher)
    {
        var copy = (CompressionOptions)MemberwiseClone();
        copy.Teacher = teacher;
        return copy;
    }
}
