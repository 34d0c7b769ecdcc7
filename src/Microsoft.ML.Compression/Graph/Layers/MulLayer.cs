using Microsoft.ML.Compression.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Graph;

/// <summary>
/// Element-wise product of two run-time tensors: of one shape, or a [C,H,W] feature map and a [C,1,1] per-channel
/// gate in either order (squeeze-and-excitation), which is broadcast over the map.
/// </summary>
public sealed class MulLayer : Layer
{
    /// <summary>Creates the layer reading <paramref name="a"/> and <paramref name="b"/>.</summary>
    public MulLayer(string name, string a, string b) : base(name, new[] { a, b }) { }

    /// <inheritdoc />
    public override string Kind => "Mul";

    /// <inheritdoc />
    public override int[] InferShape(IReadOnlyList<int[]> inputShapes)
    {
        if (inputShapes.Count != 2) throw ShapeError($"expects 2 inputs, got {inputShapes.Count}.");
        int[] a = inputShapes[0], b = inputShapes[1];
        if (a.SequenceEqual(b)) return (int[])a.Clone();
        if (IsGate(b, a)) return (int[])a.Clone();
        if (IsGate(a, b)) return (int[])b.Clone();
        throw ShapeError($"inputs must have the same shape, or be a [C,H,W] map and a [C,1,1] gate, but '{Inputs[0]}' is {Format(a)} and '{Inputs[1]}' is {Format(b)}.");
    }

    /// <summary>True when <paramref name="gate"/> is [C,1,1] for the [C,H,W] <paramref name="map"/>.</summary>
    internal static bool IsGate(int[] gate, int[] map) =>
        map.Length == 3 && gate.Length == 3 && gate[0] == map[0] && gate[1] == 1 && gate[2] == 1;

    /// <inheritdoc />
    public override Layer WithInputs(IReadOnlyList<string> inputs) => new MulLayer(Name, inputs[0], inputs[1]);

    internal override Tensor Forward(IReadOnlyList<Tensor> inputs, nn.Module<Tensor, Tensor>? module) => inputs[0] * inputs[1];

    internal override string WriteOnnx(OnnxLayerContext onnx) => onnx.Node("Mul", onnx.Inputs);

    // Channel c of the map is scaled by channel c of the gate: pruning removes them together, as for a residual Add.
    internal override ChannelRule ChannelFlow => ChannelRule.Couples;
}
