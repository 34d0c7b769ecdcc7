using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Training;

/// <summary>
/// The mini-batch of one training step: its features [N, C*H*W], 0-based labels [N], and which rows of
/// <see cref="Source"/> they are (so a hook can look up per-row values it computed once, e.g. a teacher's logits),
/// and whether <see cref="Features"/> were augmented (then they differ from the source's rows, and so would such values).
/// </summary>
public sealed record TrainingBatch(Tensor Features, Tensor Labels, ReadOnlyMemory<int> Rows, LabeledDataset Source, bool Augmented = false);
