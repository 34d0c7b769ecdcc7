namespace Microsoft.ML.Compression.Pruning;

/// <summary>A channel of one layer: <paramref name="Layer"/>'s output (or normalized) channel number <paramref name="Channel"/>.</summary>
public readonly record struct LayerChannel(string Layer, int Channel)
{
    /// <inheritdoc />
    public override string ToString() => $"{Layer}[{Channel}]";
}

/// <summary>
/// The unit structured pruning removes: output channels of one or more convolutions that must go together because a
/// residual Add sums them (and, through depthwise convolutions, BatchNorms and activations, the channels they feed).
/// Removing it deletes these filters, the matching BatchNorm channels, the matching input channels of every layer
/// that reads them and, after a Flatten, the matching block of a Linear layer's input features.
/// </summary>
/// <param name="Id">Number of the coupled channel within its <see cref="ChannelDependencies"/>.</param>
/// <param name="Group">Index of the <see cref="ChannelGroup"/> it belongs to.</param>
/// <param name="Filters">The convolution output channels it removes (one for a plain layer, several across a residual Add).</param>
/// <param name="BatchNorms">The BatchNorm channels that normalize it (where Network Slimming reads its scaling factors).</param>
public sealed record CoupledChannel(int Id, int Group, IReadOnlyList<LayerChannel> Filters, IReadOnlyList<LayerChannel> BatchNorms);
