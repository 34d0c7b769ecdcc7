using Microsoft.ML.Compression.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Graph;

/// <summary>
/// max(0, min(1, <see cref="Alpha"/> * x + <see cref="Beta"/>)) (ONNX HardSigmoid). ONNX's defaults are alpha 0.2 and
/// beta 0.5 (Keras); PyTorch's Hardsigmoid is alpha 1/6, beta 0.5.
/// </summary>
public sealed class HardSigmoidLayer : ElementwiseLayer
{
    /// <summary>PyTorch's slope, 1/6.</summary>
    public const double TorchAlpha = 1.0 / 6;

    /// <summary>Creates the layer.</summary>
    public HardSigmoidLayer(string name, string input, double alpha = 0.2, double beta = 0.5) : base(name, input)
    {
        if (!double.IsFinite(alpha)) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, $"HardSigmoid '{name}' needs a finite alpha.");
        if (!double.IsFinite(beta)) throw new ArgumentOutOfRangeException(nameof(beta), beta, $"HardSigmoid '{name}' needs a finite beta.");
        Alpha = alpha;
        Beta = beta;
    }

    /// <summary>Slope.</summary>
    public double Alpha { get; }
    /// <summary>Offset.</summary>
    public double Beta { get; }

    /// <summary>True for PyTorch's Hardsigmoid (alpha 1/6, beta 0.5), as ONNX stores it (in single precision).</summary>
    public bool IsTorchHardsigmoid => (float)Alpha == (float)TorchAlpha && Beta == 0.5;

    /// <inheritdoc />
    public override string Kind => "HardSigmoid";

    /// <inheritdoc />
    public override Layer WithInputs(IReadOnlyList<string> inputs) => new HardSigmoidLayer(Name, inputs[0], Alpha, Beta);

    // Scalars are held for the calls: TorchSharp does not keep a temporary one alive while libtorch reads it.
    internal override Tensor Forward(IReadOnlyList<Tensor> inputs, nn.Module<Tensor, Tensor>? module)
    {
        using Scalar alpha = Alpha.ToScalar(), beta = Beta.ToScalar(), zero = 0.ToScalar(), one = 1.ToScalar();
        return inputs[0].mul(alpha).add(beta).clamp(zero, one);
    }

    internal override string WriteOnnx(OnnxLayerContext onnx) =>
        onnx.Node("HardSigmoid", onnx.Inputs, OnnxAttributes.Float("alpha", (float)Alpha), OnnxAttributes.Float("beta", (float)Beta));
}
