using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Distillation;

/// <summary>
/// Hinton et al. (2015)'s knowledge-distillation loss:
/// alpha * T^2 * KL(softmax(z_t / T) || softmax(z_s / T)) + (1 - alpha) * CE(y, z_s).
/// The T^2 factor keeps the soft term's gradients the same size as the hard term's when T changes
/// (softening by T scales them by 1/T^2).
/// </summary>
public static class DistillationLoss
{
    /// <summary>The loss of a batch (mean over rows).</summary>
    /// <param name="studentLogits">[N, K] logits of the network being trained.</param>
    /// <param name="teacherLogits">[N, K] logits of the teacher (no gradient flows into them).</param>
    /// <param name="labels">[N] 0-based classes.</param>
    /// <param name="temperature">T &gt; 0; larger values soften both distributions.</param>
    /// <param name="alpha">Weight of the soft term in [0, 1]; 0 is plain cross-entropy.</param>
    public static Tensor Compute(Tensor studentLogits, Tensor teacherLogits, Tensor labels, double temperature, double alpha)
    {
        ArgumentNullException.ThrowIfNull(studentLogits);
        ArgumentNullException.ThrowIfNull(teacherLogits);
        ArgumentNullException.ThrowIfNull(labels);
        if (!(temperature > 0) || double.IsInfinity(temperature))
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "The distillation temperature must be a positive number.");
        if (!(alpha >= 0 && alpha <= 1))
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "The distillation weight alpha must be in [0, 1].");
        if (!studentLogits.shape.AsSpan().SequenceEqual(teacherLogits.shape))
            throw new ArgumentException($"Student logits [{string.Join(",", studentLogits.shape)}] and teacher logits [{string.Join(",", teacherLogits.shape)}] differ in shape.");

        Tensor hard = nn.functional.cross_entropy(studentLogits, labels);
        if (alpha == 0) return hard;
        Tensor soft = SoftTargetKl(studentLogits, teacherLogits.detach(), temperature) * (temperature * temperature);
        return alpha == 1 ? soft * alpha : soft * alpha + hard * (1 - alpha);
    }

    /// <summary>KL(softmax(z_t / T) || softmax(z_s / T)) averaged over the batch (without the T^2 factor).</summary>
    public static Tensor SoftTargetKl(Tensor studentLogits, Tensor teacherLogits, double temperature)
    {
        Tensor logStudent = nn.functional.log_softmax(studentLogits / temperature, 1);
        Tensor logTeacher = nn.functional.log_softmax(teacherLogits / temperature, 1);
        return (logTeacher.exp() * (logTeacher - logStudent)).sum(1).mean();
    }
}
