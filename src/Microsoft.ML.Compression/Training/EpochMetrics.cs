namespace Microsoft.ML.Compression.Training;

/// <summary>What one training epoch achieved; passed to the metrics callback and logged.</summary>
/// <param name="Epoch">1-based epoch number.</param>
/// <param name="Epochs">Epochs in the run.</param>
/// <param name="TrainLoss">Mean training loss over the epoch.</param>
/// <param name="TrainAccuracy">Training accuracy over the epoch (in train mode, so with dropout).</param>
/// <param name="ValidationLoss">Cross-entropy on the validation data, or null without validation data.</param>
/// <param name="ValidationAccuracy">Top-1 accuracy on the validation data, or null.</param>
/// <param name="LearningRate">Learning rate at the end of the epoch.</param>
/// <param name="Seconds">Wall-clock seconds spent training the epoch (validation excluded).</param>
public sealed record EpochMetrics(
    int Epoch, int Epochs, double TrainLoss, double TrainAccuracy,
    double? ValidationLoss, double? ValidationAccuracy, double LearningRate, double Seconds)
{
    /// <inheritdoc />
    public override string ToString() =>
        $"epoch {Epoch}/{Epochs}: train loss {TrainLoss:F4}, train acc {TrainAccuracy:P2}" +
        (ValidationAccuracy is double va ? $", val loss {ValidationLoss:F4}, val acc {va:P2}" : "") +
        $", lr {LearningRate:G3}, {Seconds:F1}s";
}
