using Microsoft.ML.Compression.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Graph;

/// <summary>
/// Keeps positions <see cref="Start"/>, Start + Step, ... (fewer than <see cref="Count"/> * Step further) along one
/// axis (batch excluded), e.g. the first channels of a map. Pruning stops at a channel slice, whose bounds are fixed.
/// </summary>
public sealed class SliceLayer : Layer
{
    /// <summary>Creates the layer: <paramref name="count"/> positions from <paramref name="start"/> every <paramref name="step"/> along <paramref name="axis"/>.</summary>
    public SliceLayer(string name, string input, int axis, int start, int count, int step = 1) : base(name, new[] { input })
    {
        if (axis < 0) throw new ArgumentOutOfRangeException(nameof(axis), axis, $"Slice '{name}' needs an axis >= 0 (batch excluded).");
        if (start < 0 || count <= 0 || step <= 0)
            throw new ArgumentOutOfRangeException(nameof(count), $"Slice '{name}' needs start >= 0, count > 0 and step > 0, got {start}, {count}, {step}.");
        Axis = axis;
        Start = start;
        Count = count;
        Step = step;
    }

    /// <summary>The sliced axis (0 = channels of a [C,H,W] map).</summary>
    public int Axis { get; }
    /// <summary>First position kept.</summary>
    public int Start { get; }
    /// <summary>Positions kept.</summary>
    public int Count { get; }
    /// <summary>Distance between kept positions.</summary>
    public int Step { get; }

    /// <inheritdoc />
    public override string Kind => "Slice";

    /// <inheritdoc />
    public override int[] InferShape(IReadOnlyList<int[]> inputShapes)
    {
        if (inputShapes.Count != 1) throw ShapeError($"expects 1 input, got {inputShapes.Count}.");
        int[] x = inputShapes[0];
        if (Axis >= x.Length) throw ShapeError($"axis {Axis} does not exist in {Format(x)}.");
        if (Start + (long)(Count - 1) * Step >= x[Axis]) throw ShapeError($"{Count} positions from {Start} every {Step} do not fit size {x[Axis]}.");
        int[] y = (int[])x.Clone();
        y[Axis] = Count;
        return y;
    }

    /// <inheritdoc />
    public override Layer WithInputs(IReadOnlyList<string> inputs) => new SliceLayer(Name, inputs[0], Axis, Start, Count, Step);

    internal override Tensor Forward(IReadOnlyList<Tensor> inputs, nn.Module<Tensor, Tensor>? module) =>
        inputs[0].slice(Axis + 1, Start, Start + (long)(Count - 1) * Step + 1, Step);

    internal override string WriteOnnx(OnnxLayerContext onnx)
    {
        OnnxGraphBuilder b = onnx.Builder;
        string Vector(string suffix, long value) => b.AddInitializer(OnnxTensors.Int64Vector($"{Name}_{suffix}", value));
        return onnx.Node("Slice", new[]
        {
            onnx.Inputs[0], Vector("starts", Start), Vector("ends", Start + (long)(Count - 1) * Step + 1), Vector("axes", Axis + 1), Vector("steps", Step),
        });
    }

    // Slicing height or width keeps every channel in place; a channel slice fixes which channels exist.
    internal override ChannelRule ChannelFlow => Axis == 0 ? ChannelRule.Blocks : ChannelRule.PassThrough;

    internal override string BlockReason => $"slice '{Name}' of channels {Start}..{Start + (Count - 1) * Step}";

    internal override bool KeepsInputGrid => true;
}
