using Microsoft.ML.Compression.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Graph;

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

    internal override Tensor Forward(IReadOnlyList<Tensor> inputs, nn.Module<Tensor, Tensor>? module) => inputs[0].flatten(1);

    internal override string WriteOnnx(OnnxLayerContext onnx) => onnx.Node("Flatten", onnx.Inputs, OnnxAttributes.Int("axis", 1));

    internal override ChannelRule ChannelFlow => ChannelRule.Flattens;

    internal override bool KeepsInputGrid => true;
}
