using Microsoft.ML.Compression.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Graph;

/// <summary>How <see cref="PadLayer"/> fills the border (ONNX Pad's modes).</summary>
public enum PadMode
{
    /// <summary>A constant value.</summary>
    Constant,
    /// <summary>The input mirrored at its edge, the edge itself not repeated (ONNX "reflect", PyTorch ReflectionPad2d).</summary>
    Reflect,
    /// <summary>The edge value repeated (ONNX "edge", PyTorch ReplicationPad2d).</summary>
    Edge,
}

/// <summary>
/// Pads the height and width of a [C,H,W] map, each side by its own amount: what imported models write before a
/// convolution whose padding is asymmetric (e.g. Keras's "same" padding with stride 2).
/// </summary>
public sealed class PadLayer : Layer
{
    /// <summary>Creates the layer.</summary>
    public PadLayer(string name, string input, int top, int left, int bottom, int right, float value = 0, PadMode mode = PadMode.Constant)
        : base(name, new[] { input })
    {
        foreach (var (side, amount) in new[] { ("top", top), ("left", left), ("bottom", bottom), ("right", right) })
            if (amount < 0) throw new ArgumentOutOfRangeException(side, amount, $"Pad '{name}' needs {side} >= 0.");
        if (!Enum.IsDefined(mode)) throw new ArgumentOutOfRangeException(nameof(mode), mode, $"Pad '{name}': unknown mode.");
        if (!float.IsFinite(value)) throw new ArgumentOutOfRangeException(nameof(value), value, $"Pad '{name}' needs a finite value.");
        (Top, Left, Bottom, Right, Value, Mode) = (top, left, bottom, right, value, mode);
    }

    /// <summary>Rows added above.</summary>
    public int Top { get; }
    /// <summary>Columns added on the left.</summary>
    public int Left { get; }
    /// <summary>Rows added below.</summary>
    public int Bottom { get; }
    /// <summary>Columns added on the right.</summary>
    public int Right { get; }
    /// <summary>The fill value of <see cref="PadMode.Constant"/>.</summary>
    public float Value { get; }
    /// <summary>How the border is filled.</summary>
    public PadMode Mode { get; }

    /// <inheritdoc />
    public override string Kind => "Pad";

    /// <inheritdoc />
    public override int[] InferShape(IReadOnlyList<int[]> inputShapes)
    {
        int[] x = SingleFeatureMap(inputShapes);
        // Reflection mirrors rows that exist, without repeating the edge.
        if (Mode == PadMode.Reflect && (Math.Max(Top, Bottom) >= x[1] || Math.Max(Left, Right) >= x[2]))
            throw ShapeError($"reflect padding ({Top},{Left},{Bottom},{Right}) must be smaller than the input's height and width ({Format(x)}).");
        return new[] { x[0], x[1] + Top + Bottom, x[2] + Left + Right };
    }

    /// <inheritdoc />
    public override Layer WithInputs(IReadOnlyList<string> inputs) => new PadLayer(Name, inputs[0], Top, Left, Bottom, Right, Value, Mode);

    internal override Tensor Forward(IReadOnlyList<Tensor> inputs, nn.Module<Tensor, Tensor>? module)
    {
        long[] pads = { Left, Right, Top, Bottom }; // PyTorch lists the last axis first
        return Mode switch
        {
            PadMode.Reflect => nn.functional.pad(inputs[0], pads, PaddingModes.Reflect),
            PadMode.Edge => nn.functional.pad(inputs[0], pads, PaddingModes.Replicate),
            _ => nn.functional.pad(inputs[0], pads, PaddingModes.Constant, Value),
        };
    }

    // Pads and value are inputs since opset 11 (the writer targets 13 or later); pads list every axis's begin, then every end.
    internal override string WriteOnnx(OnnxLayerContext onnx)
    {
        string pads = onnx.Builder.AddInitializer(OnnxTensors.Int64Vector($"{Name}.pads", 0, 0, Top, Left, 0, 0, Bottom, Right));
        string mode = Mode switch { PadMode.Reflect => "reflect", PadMode.Edge => "edge", _ => "constant" };
        var inputs = Mode == PadMode.Constant
            ? new[] { onnx.Inputs[0], pads, onnx.Builder.AddInitializer(OnnxTensors.FloatScalar($"{Name}.value", Value)) }
            : new[] { onnx.Inputs[0], pads };
        return onnx.Node("Pad", inputs, OnnxAttributes.String("mode", mode));
    }

    internal override ChannelRule ChannelFlow => ChannelRule.PassThrough;

    // The border repeats input values, or zero, which every activation grid holds exactly; another constant may not be on the grid.
    internal override bool KeepsInputGrid => Mode != PadMode.Constant || Value == 0;
}
