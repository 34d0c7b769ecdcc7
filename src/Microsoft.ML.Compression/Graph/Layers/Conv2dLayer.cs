using System;
using System.Collections.Generic;

namespace Microsoft.ML.Compression.Graph;

/// <summary>2-D convolution with square kernel, stride and padding; <see cref="Groups"/> = channels makes it depthwise.</summary>
public sealed class Conv2dLayer : Layer
{
    /// <summary>Creates a convolution.</summary>
    public Conv2dLayer(string name, string input, int inChannels, int outChannels, int kernelSize,
        int stride = 1, int padding = 0, int groups = 1, bool bias = true)
        : base(name, new[] { input })
    {
        if (inChannels <= 0) throw new ArgumentOutOfRangeException(nameof(inChannels), inChannels, $"Conv2d '{name}' needs inChannels > 0.");
        if (outChannels <= 0) throw new ArgumentOutOfRangeException(nameof(outChannels), outChannels, $"Conv2d '{name}' needs outChannels > 0.");
        if (kernelSize <= 0) throw new ArgumentOutOfRangeException(nameof(kernelSize), kernelSize, $"Conv2d '{name}' needs kernelSize > 0.");
        if (stride <= 0) throw new ArgumentOutOfRangeException(nameof(stride), stride, $"Conv2d '{name}' needs stride > 0.");
        if (padding < 0) throw new ArgumentOutOfRangeException(nameof(padding), padding, $"Conv2d '{name}' needs padding >= 0.");
        if (groups <= 0 || inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentOutOfRangeException(nameof(groups), groups,
                $"Conv2d '{name}': groups must divide both inChannels ({inChannels}) and outChannels ({outChannels}).");
        InChannels = inChannels;
        OutChannels = outChannels;
        KernelSize = kernelSize;
        Stride = stride;
        Padding = padding;
        Groups = groups;
        HasBias = bias;
    }

    /// <summary>Input channels.</summary>
    public int InChannels { get; }
    /// <summary>Output channels (filters).</summary>
    public int OutChannels { get; }
    /// <summary>Kernel height and width.</summary>
    public int KernelSize { get; }
    /// <summary>Stride along both axes.</summary>
    public int Stride { get; }
    /// <summary>Zero padding on every side.</summary>
    public int Padding { get; }
    /// <summary>Channel groups (1 = dense, InChannels = depthwise).</summary>
    public int Groups { get; }
    /// <summary>Whether the convolution adds a bias.</summary>
    public bool HasBias { get; }

    /// <inheritdoc />
    public override string Kind => "Conv2d";

    /// <inheritdoc />
    public override IReadOnlyList<string> ParameterNames => HasBias ? new[] { "weight", "bias" } : new[] { "weight" };

    /// <inheritdoc />
    public override int[] ParameterShape(string parameterName) => parameterName switch
    {
        "weight" => new[] { OutChannels, InChannels / Groups, KernelSize, KernelSize },
        "bias" when HasBias => new[] { OutChannels },
        _ => base.ParameterShape(parameterName),
    };

    /// <inheritdoc />
    public override int[] InferShape(IReadOnlyList<int[]> inputShapes)
    {
        int[] x = SingleFeatureMap(inputShapes);
        if (x[0] != InChannels)
            throw ShapeError($"expects {InChannels} input channels but its input '{Inputs[0]}' has {x[0]} (shape {Format(x)}).");
        return new[] { OutChannels, SlidingOutput(x[1], KernelSize, Stride, Padding, "height"), SlidingOutput(x[2], KernelSize, Stride, Padding, "width") };
    }

    /// <inheritdoc />
    public override long Macs(IReadOnlyList<int[]> inputShapes, int[] outputShape) =>
        (long)outputShape[0] * outputShape[1] * outputShape[2] * (InChannels / Groups) * KernelSize * KernelSize;

    /// <inheritdoc />
    public override Layer WithInputs(IReadOnlyList<string> inputs) =>
        new Conv2dLayer(Name, inputs[0], InChannels, OutChannels, KernelSize, Stride, Padding, Groups, HasBias);
}
