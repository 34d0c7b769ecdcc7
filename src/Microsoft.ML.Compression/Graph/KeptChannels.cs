namespace Microsoft.ML.Compression.Graph;

/// <summary>
/// What structured pruning keeps of one layer: the positions of its first input's channels and of its output channels
/// that stay, and how many features each input channel spans (H*W after a Flatten, else 1).
/// </summary>
/// <param name="Input">Kept channel positions of the first input, ascending.</param>
/// <param name="Output">Kept output channel positions, ascending.</param>
/// <param name="InputBlock">Features per input channel.</param>
internal sealed record KeptChannels(int[] Input, int[] Output, int InputBlock);
