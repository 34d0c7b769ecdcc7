using Microsoft.ML.Compression.Onnx;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Graph;

/// <summary>Fully connected layer y = x W^T + b on a [F] vector.</summary>
public sealed class LinearLayer : Layer, IWeightedLayer
{
    private static readonly string[] WithBiasNames = { "weight", "bias" }, WeightOnly = { "weight" };

    /// <summary>Creates a fully connected layer.</summary>
    public LinearLayer(string name, string input, int inFeatures, int outFeatures, bool bias = true)
        : base(name, new[] { input })
    {
        if (inFeatures <= 0) throw new ArgumentOutOfRangeException(nameof(inFeatures), inFeatures, $"Linear '{name}' needs inFeatures > 0.");
        if (outFeatures <= 0) throw new ArgumentOutOfRangeException(nameof(outFeatures), outFeatures, $"Linear '{name}' needs outFeatures > 0.");
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        HasBias = bias;
    }

    /// <summary>Input features.</summary>
    public int InFeatures { get; }
    /// <summary>Output features.</summary>
    public int OutFeatures { get; }
    /// <summary>Whether a bias is added.</summary>
    public bool HasBias { get; }

    /// <inheritdoc />
    public override string Kind => "Linear";

    /// <inheritdoc />
    public override IReadOnlyList<string> ParameterNames => HasBias ? WithBiasNames : WeightOnly;

    /// <inheritdoc />
    public override int[] ParameterShape(string parameterName) => parameterName switch
    {
        "weight" => new[] { OutFeatures, InFeatures },
        "bias" when HasBias => new[] { OutFeatures },
        _ => base.ParameterShape(parameterName),
    };

    /// <inheritdoc />
    public override int[] InferShape(IReadOnlyList<int[]> inputShapes)
    {
        if (inputShapes.Count != 1) throw ShapeError($"expects 1 input, got {inputShapes.Count}.");
        int[] x = inputShapes[0];
        if (x.Length != 1)
            throw ShapeError($"expects a [F] vector but its input '{Inputs[0]}' has shape {Format(x)}; add a Flatten layer before it.");
        if (x[0] != InFeatures)
            throw ShapeError($"expects {InFeatures} input features but its input '{Inputs[0]}' has {x[0]}.");
        return new[] { OutFeatures };
    }

    /// <inheritdoc />
    public override long Macs(IReadOnlyList<int[]> inputShapes, int[] outputShape) => (long)InFeatures * OutFeatures;

    /// <inheritdoc />
    public override Layer WithInputs(IReadOnlyList<string> inputs) => new LinearLayer(Name, inputs[0], InFeatures, OutFeatures, HasBias);

    internal override nn.Module<Tensor, Tensor> CreateModule() => nn.Linear(InFeatures, OutFeatures, hasBias: HasBias);

    internal override Tensor Forward(IReadOnlyList<Tensor> inputs, nn.Module<Tensor, Tensor>? module) => module!.call(inputs[0]);

    internal override string WriteOnnx(OnnxLayerContext onnx)
    {
        // Gemm with transB reads PyTorch's [out, in] weight as is (and ORT keeps per-channel DQ exact on it).
        return onnx.Node("Gemm", onnx.InputAndParameters(),
            OnnxAttributes.Float("alpha", 1f), OnnxAttributes.Float("beta", 1f),
            OnnxAttributes.Int("transA", 0), OnnxAttributes.Int("transB", 1));
    }

    internal override ChannelRule ChannelFlow => ChannelRule.Consumes;

    // Each kept input channel keeps all of its features (a block of H*W after flattening [C,H,W]); output units go
    // only when hidden units are pruned (otherwise every output is kept).
    internal override Layer Prune(KeptChannels kept)
    {
        int[] features = kept.KeptFeatures(InFeatures);
        var pruned = new LinearLayer(Name, Inputs[0], features.Length, kept.Output.Length, HasBias);
        if (Parameters.TryGetValue("weight", out var weight))
            pruned.SetParameter("weight", weight.Select(0, kept.Output).Select(1, features));
        SelectInto(pruned, new[] { "bias" }, 0, kept.Output);
        return pruned;
    }

    internal override int? PrunableWidth => InFeatures;

    int IWeightedLayer.OutputChannels => OutFeatures;

    Tensor IWeightedLayer.Apply(Tensor x, Tensor weight, Tensor? bias) => nn.functional.linear(x, weight, bias);

    (Tensor Weight, Tensor? Bias) IWeightedLayer.TensorsOf(nn.Module<Tensor, Tensor> module)
    {
        var linear = (Linear)module;
        return (linear.weight!, linear.bias);
    }

    Layer IWeightedLayer.WithBias() => new LinearLayer(Name, Inputs[0], InFeatures, OutFeatures, bias: true);
}
