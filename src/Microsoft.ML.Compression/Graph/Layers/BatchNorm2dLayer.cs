using System;
using System.Collections.Generic;

namespace Microsoft.ML.Compression.Graph;

/// <summary>Batch normalization over the channels of a feature map (gamma = "weight", beta = "bias").</summary>
public sealed class BatchNorm2dLayer : Layer
{
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
    public override IReadOnlyList<string> ParameterNames => new[] { "weight", "bias", "running_mean", "running_var" };

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
}
