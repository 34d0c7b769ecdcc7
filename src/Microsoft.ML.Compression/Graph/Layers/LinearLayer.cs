using System;
using System.Collections.Generic;

namespace Microsoft.ML.Compression.Graph;

/// <summary>Fully connected layer y = x W^T + b on a [F] vector.</summary>
public sealed class LinearLayer : Layer
{
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
    public override IReadOnlyList<string> ParameterNames => HasBias ? new[] { "weight", "bias" } : new[] { "weight" };

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
}
