using Microsoft.ML.Compression.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Graph;

/// <summary>
/// min(max(x, <see cref="Min"/>), <see cref="Max"/>) for bounds other than ReLU's and ReLU6's (e.g. PyTorch's Hardtanh,
/// Clip(-1, 1)); an infinite bound is no bound.
/// </summary>
public sealed class ClipLayer : ElementwiseLayer
{
    /// <summary>Creates the layer; <paramref name="min"/> must not exceed <paramref name="max"/>.</summary>
    public ClipLayer(string name, string input, float min, float max) : base(name, input)
    {
        if (float.IsNaN(min) || float.IsNaN(max) || min > max)
            throw new ArgumentOutOfRangeException(nameof(min), $"Clip '{name}' needs min <= max, got [{min}, {max}].");
        Min = min;
        Max = max;
    }

    /// <summary>Lower bound (negative infinity: none).</summary>
    public float Min { get; }

    /// <summary>Upper bound (positive infinity: none).</summary>
    public float Max { get; }

    /// <inheritdoc />
    public override string Kind => "Clip";

    /// <inheritdoc />
    public override Layer WithInputs(IReadOnlyList<string> inputs) => new ClipLayer(Name, inputs[0], Min, Max);

    // The Scalars are held for the call: TorchSharp does not keep a temporary one alive while libtorch reads it.
    internal override Tensor Forward(IReadOnlyList<Tensor> inputs, nn.Module<Tensor, Tensor>? module)
    {
        using Scalar low = Min.ToScalar(), high = Max.ToScalar();
        return inputs[0].clamp(low, high);
    }

    internal override string WriteOnnx(OnnxLayerContext onnx) =>
        onnx.Node("Clip", new[]
        {
            onnx.Inputs[0],
            onnx.Builder.AddInitializer(OnnxTensors.FloatScalar($"{Name}_min", Min)),
            onnx.Builder.AddInitializer(OnnxTensors.FloatScalar($"{Name}_max", Max)),
        });

    // Unlike ReLU and ReLU6 its output gets its own int8 grid (the default): ONNX Runtime fuses only clamps whose
    // range the producer's grid already covers, which arbitrary bounds need not be.
}
