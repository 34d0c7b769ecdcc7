namespace Microsoft.ML.Compression.Graph;

/// <summary>How structured pruning traces channels through a layer (see <see cref="Pruning.ChannelDependencies"/>).</summary>
internal enum ChannelRule
{
    /// <summary>Output channel c is input channel c (BatchNorm, activations, pooling, dropout, depthwise convolution).</summary>
    PassThrough,
    /// <summary>The layer creates new, prunable output channels from all of its input channels (a dense convolution).</summary>
    Produces,
    /// <summary>The inputs are summed channel by channel, so channel c of every input goes together (residual Add).</summary>
    Couples,
    /// <summary>The inputs' channels are stacked, each at its offset (Concat).</summary>
    Concatenates,
    /// <summary>The input's sizes become one vector: channel c of [C,H,W] is the block of features c*H*W .. (c+1)*H*W-1, of [H,W,C] every C-th feature (Flatten).</summary>
    Flattens,
    /// <summary>The axes are reordered, so the channel axis moves (Transpose, e.g. NCHW to NHWC before a Keras-style Flatten).</summary>
    Permutes,
    /// <summary>The layer reads channels (as input features) and writes a vector without channels (Linear).</summary>
    Consumes,
    /// <summary>Channels stop here: neither the inputs' nor the output's channels may be pruned.</summary>
    Blocks,
}
