namespace Microsoft.ML.Compression.Pruning;

/// <summary>
/// Coupled channels produced by the same convolutions: a plain layer's channels, or the shared width of a residual
/// stage (every convolution whose output the stage's Adds sum). Per-layer rates and the minimum width apply to a group.
/// </summary>
/// <param name="Index">Position in <see cref="ChannelDependencies.Groups"/>.</param>
/// <param name="Layers">The convolutions whose filters the group's channels remove, in graph order.</param>
/// <param name="Channels">The group's coupled channels.</param>
public sealed record ChannelGroup(int Index, IReadOnlyList<string> Layers, IReadOnlyList<CoupledChannel> Channels)
{
    /// <summary>A readable name: the first convolution, plus how many others share the channels.</summary>
    public string Name => Layers.Count == 1 ? Layers[0] : $"{Layers[0]} (+{Layers.Count - 1} coupled)";

    /// <summary>Number of channels before pruning.</summary>
    public int Width => Channels.Count;
}
