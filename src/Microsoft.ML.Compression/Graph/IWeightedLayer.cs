using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Graph;

/// <summary>
/// A layer computed from a "weight" tensor whose axis 0 is the output channel, plus an optional bias (Conv2d, Linear):
/// what quantization rounds, BatchNorm folding rescales and low-bit training replaces.
/// </summary>
internal interface IWeightedLayer
{
    /// <summary>Output channels (axis 0 of the weight).</summary>
    int OutputChannels { get; }

    /// <summary>Whether the layer adds a bias.</summary>
    bool HasBias { get; }

    /// <summary>The layer's computation on <paramref name="x"/> with the given weight and bias in place of its own.</summary>
    Tensor Apply(Tensor x, Tensor weight, Tensor? bias);

    /// <summary>The weight and bias tensors of the layer's own module (from <see cref="Layer.CreateModule"/>).</summary>
    (Tensor Weight, Tensor? Bias) TensorsOf(nn.Module<Tensor, Tensor> module);

    /// <summary>The same layer with a bias (parameters not copied), e.g. to receive a folded BatchNorm's shift.</summary>
    Layer WithBias();
}
