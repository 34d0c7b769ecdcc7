using Microsoft.ML.Compression.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Graph;

/// <summary>x for x &gt;= 0, <see cref="Alpha"/> * x below (ONNX LeakyRelu, PyTorch LeakyReLU).</summary>
public sealed class LeakyReLULayer : ElementwiseLayer
{
    /// <summary>Creates the layer with negative slope <paramref name="alpha"/> (ONNX's and Keras's default 0.01 is PyTorch's too).</summary>
    public LeakyReLULayer(string name, string input, double alpha = 0.01) : base(name, input)
    {
        if (!double.IsFinite(alpha)) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, $"LeakyReLU '{name}' needs a finite alpha.");
        Alpha = alpha;
    }

    /// <summary>Slope for negative inputs.</summary>
    public double Alpha { get; }

    /// <inheritdoc />
    public override string Kind => "LeakyReLU";

    /// <inheritdoc />
    public override Layer WithInputs(IReadOnlyList<string> inputs) => new LeakyReLULayer(Name, inputs[0], Alpha);

    // The Scalar is held for the call: TorchSharp does not keep a temporary one alive while libtorch reads it.
    internal override Tensor Forward(IReadOnlyList<Tensor> inputs, nn.Module<Tensor, Tensor>? module)
    {
        using Scalar slope = Alpha.ToScalar();
        return inputs[0].leaky_relu(slope);
    }

    internal override string WriteOnnx(OnnxLayerContext onnx) => onnx.Node("LeakyRelu", onnx.Inputs, OnnxAttributes.Float("alpha", (float)Alpha));

    // Not a clamp: ONNX Runtime runs it as its own quantized op, so its output gets its own grid (the defaults).
}
