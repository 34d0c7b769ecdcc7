using Microsoft.ML.Compression.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Graph;

/// <summary>Batch normalization over the channels of a feature map (gamma = "weight", beta = "bias").</summary>
public sealed class BatchNorm2dLayer : Layer
{
    private static readonly string[] Names = { "weight", "bias", "running_mean", "running_var" };

    /// <summary>Creates a batch normalization layer.</summary>
    public BatchNorm2dLayer(string name, string input, int channels, double epsilon = 1e-5, double momentum = 0.1)
        : base(name, new[] { input })
    {
        if (channels <= 0) throw new ArgumentOutOfRangeException(nameof(channels), channels, $"BatchNorm2d '{name}' needs channels > 0.");
        if (epsilon <= 0) throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, $"BatchNorm2d '{name}' needs epsilon > 0.");
        if (momentum <= 0 || momentum > 1) throw new ArgumentOutOfRangeException(nameof(momentum), momentum, $"BatchNorm2d '{name}' needs momentum in (0, 1].");
        Channels = channels;
        Epsilon = epsilon;
        Momentum = momentum;
    }

    /// <summary>Normalized channels.</summary>
    public int Channels { get; }
    /// <summary>Added to the variance before the square root.</summary>
    public double Epsilon { get; }
    /// <summary>Running-statistics momentum (PyTorch convention).</summary>
    public double Momentum { get; }

    /// <inheritdoc />
    public override string Kind => "BatchNorm2d";

    /// <inheritdoc />
    public override IReadOnlyList<string> ParameterNames => Names;

    /// <inheritdoc />
    public override int[] ParameterShape(string parameterName) => parameterName switch
    {
        "weight" or "bias" or "running_mean" or "running_var" => new[] { Channels },
        _ => base.ParameterShape(parameterName),
    };

    /// <inheritdoc />
    public override int[] InferShape(IReadOnlyList<int[]> inputShapes)
    {
        int[] x = SingleFeatureMap(inputShapes);
        if (x[0] != Channels)
            throw ShapeError($"expects {Channels} channels but its input '{Inputs[0]}' has {x[0]} (shape {Format(x)}).");
        return (int[])x.Clone();
    }

    /// <inheritdoc />
    public override Layer WithInputs(IReadOnlyList<string> inputs) => new BatchNorm2dLayer(Name, inputs[0], Channels, Epsilon, Momentum);

    internal override nn.Module<Tensor, Tensor> CreateModule() => nn.BatchNorm2d(Channels, eps: Epsilon, momentum: Momentum);

    internal override Tensor Forward(IReadOnlyList<Tensor> inputs, nn.Module<Tensor, Tensor>? module) => module!.call(inputs[0]);

    // Inference form: scale, bias, running mean and variance as inputs; one output.
    internal override string WriteOnnx(OnnxLayerContext onnx) =>
        onnx.Node("BatchNormalization", onnx.InputAndParameters(), OnnxAttributes.Float("epsilon", (float)Epsilon));

    internal override ChannelRule ChannelFlow => ChannelRule.PassThrough;

    internal override Layer Prune(KeptChannels kept)
    {
        var pruned = new BatchNorm2dLayer(Name, Inputs[0], kept.Output.Length, Epsilon, Momentum);
        SelectInto(pruned, Names, 0, kept.Output);
        return pruned;
    }

    internal override int? PrunableWidth => Channels;
}
