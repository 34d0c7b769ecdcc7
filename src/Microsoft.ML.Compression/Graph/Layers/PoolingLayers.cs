using System;
using System.Collections.Generic;

namespace Microsoft.ML.Compression.Graph;

/// <summary>A square sliding-window pooling (floor rounding).</summary>
public abstract class WindowPoolLayer : Layer
{
    /// <summary>Creates the layer; <paramref name="stride"/> defaults to the kernel size.</summary>
    protected WindowPoolLayer(string name, string input, int kernelSize, int? stride, int padding) : base(name, new[] { input })
    {
        if (kernelSize <= 0) throw new ArgumentOutOfRangeException(nameof(kernelSize), kernelSize, $"Pooling '{name}' needs kernelSize > 0.");
        int s = stride ?? kernelSize;
        if (s <= 0) throw new ArgumentOutOfRangeException(nameof(stride), s, $"Pooling '{name}' needs stride > 0.");
        if (padding < 0 || padding * 2 > kernelSize)
            throw new ArgumentOutOfRangeException(nameof(padding), padding, $"Pooling '{name}' needs 0 <= padding <= kernelSize/2.");
        KernelSize = kernelSize;
        Stride = s;
        Padding = padding;
    }

    /// <summary>Window height and width.</summary>
    public int KernelSize { get; }
    /// <summary>Step between windows.</summary>
    public int Stride { get; }
    /// <summary>Padding on every side.</summary>
    public int Padding { get; }

    /// <inheritdoc />
    public override int[] InferShape(IReadOnlyList<int[]> inputShapes)
    {
        int[] x = SingleFeatureMap(inputShapes);
        return new[] { x[0], SlidingOutput(x[1], KernelSize, Stride, Padding, "height"), SlidingOutput(x[2], KernelSize, Stride, Padding, "width") };
    }
}

/// <summary>Max pooling.</summary>
public sealed class MaxPool2dLayer : WindowPoolLayer
{
    /// <summary>Creates the layer.</summary>
    public MaxPool2dLayer(string name, string input, int kernelSize, int? stride = null, int padding = 0)
        : base(name, input, kernelSize, stride, padding) { }
    /// <inheritdoc />
    public override string Kind => "MaxPool2d";
    /// <inheritdoc />
    public override Layer WithInputs(IReadOnlyList<string> inputs) => new MaxPool2dLayer(Name, inputs[0], KernelSize, Stride, Padding);
}

/// <summary>Average pooling; padded zeros are not counted (ONNX's default).</summary>
public sealed class AvgPool2dLayer : WindowPoolLayer
{
    /// <summary>Creates the layer.</summary>
    public AvgPool2dLayer(string name, string input, int kernelSize, int? stride = null, int padding = 0)
        : base(name, input, kernelSize, stride, padding) { }
    /// <inheritdoc />
    public override string Kind => "AvgPool2d";
    /// <inheritdoc />
    public override Layer WithInputs(IReadOnlyList<string> inputs) => new AvgPool2dLayer(Name, inputs[0], KernelSize, Stride, Padding);
}

/// <summary>Average over the whole feature map: [C,H,W] -> [C,1,1].</summary>
public sealed class GlobalAvgPoolLayer : Layer
{
    /// <summary>Creates the layer.</summary>
    public GlobalAvgPoolLayer(string name, string input) : base(name, new[] { input }) { }
    /// <inheritdoc />
    public override string Kind => "GlobalAvgPool";
    /// <inheritdoc />
    public override int[] InferShape(IReadOnlyList<int[]> inputShapes) => new[] { SingleFeatureMap(inputShapes)[0], 1, 1 };
    /// <inheritdoc />
    public override Layer WithInputs(IReadOnlyList<string> inputs) => new GlobalAvgPoolLayer(Name, inputs[0]);
}

/// <summary>[C,H,W] -> [C*H*W] (row-major, channel blocks of H*W features).</summary>
public sealed class FlattenLayer : Layer
{
    /// <summary>Creates the layer.</summary>
    public FlattenLayer(string name, string input) : base(name, new[] { input }) { }
    /// <inheritdoc />
    public override string Kind => "Flatten";
    /// <inheritdoc />
    public override int[] InferShape(IReadOnlyList<int[]> inputShapes)
    {
        if (inputShapes.Count != 1) throw ShapeError($"expects 1 input, got {inputShapes.Count}.");
        int size = 1;
        foreach (int d in inputShapes[0]) size *= d;
        return new[] { size };
    }
    /// <inheritdoc />
    public override Layer WithInputs(IReadOnlyList<string> inputs) => new FlattenLayer(Name, inputs[0]);
}
