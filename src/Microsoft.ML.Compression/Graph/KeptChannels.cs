namespace Microsoft.ML.Compression.Graph;

/// <summary>
/// What structured pruning keeps of one layer: the positions of its first input's channels and of its output channels
/// that stay, and, for a layer reading a flattened map, how its features map to channels: feature f belongs to
/// channel (f / <see cref="InputBlock"/>) % <see cref="InputChannels"/> (blocks of H*W after flattening [C,H,W];
/// interleaved, block 1, after flattening [H,W,C]).
/// </summary>
/// <param name="Input">Kept channel positions of the first input, ascending.</param>
/// <param name="Output">Kept output channel positions, ascending.</param>
/// <param name="InputBlock">Consecutive features per channel run.</param>
/// <param name="InputChannels">Channels of the first input before pruning.</param>
internal sealed record KeptChannels(int[] Input, int[] Output, int InputBlock, int InputChannels)
{
    /// <summary>The input features (of <paramref name="features"/>) whose channel stays.</summary>
    public int[] KeptFeatures(int features)
    {
        var kept = new HashSet<int>(Input);
        return Enumerable.Range(0, features).Where(f => kept.Contains(f / InputBlock % InputChannels)).ToArray();
    }
}
