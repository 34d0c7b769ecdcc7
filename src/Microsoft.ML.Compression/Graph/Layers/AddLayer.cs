using Microsoft.ML.Compression.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Graph;

/// <summary>Element-wise sum of two or more inputs of the same shape (residual connections).</summary>
public sealed class AddLayer : Layer
{
    /// <summary>Creates the layer.</summary>
    public AddLayer(string name, IReadOnlyList<string> inputs) : base(name, inputs)
    {
        if (inputs.Count < 2) throw new ArgumentException($"Add '{name}' needs at least 2 inputs.", nameof(inputs));
    }

    /// <inheritdoc />
    public override string Kind => "Add";

    /// <inheritdoc />
    public override int[] InferShape(IReadOnlyList<int[]> inputShapes)
    {
        for (int i = 1; i < inputShapes.Count; i++)
            if (!inputShapes[i].SequenceEqual(inputShapes[0]))
                throw ShapeError($"inputs must have the same shape, but '{Inputs[0]}' is {Format(inputShapes[0])} and '{Inputs[i]}' is {Format(inputShapes[i])}.");
        return (int[])inputShapes[0].Clone();
    }

    /// <inheritdoc />
    public override Layer WithInputs(IReadOnlyList<string> inputs) => new AddLayer(Name, inputs);

    internal override Tensor Forward(IReadOnlyList<Tensor> inputs, nn.Module<Tensor, Tensor>? module) =>
        inputs.Skip(1).Aggregate(inputs[0], (sum, x) => sum + x);

    // A left-to-right chain of binary Adds: the IR's summation order, and ORT fuses Add patterns (Conv+Add, QDQ Add)
    // that it does not fuse for Sum.
    internal override string WriteOnnx(OnnxLayerContext onnx)
    {
        string sum = onnx.Inputs[0];
        for (int i = 1; i < onnx.Inputs.Count - 1; i++)
            sum = onnx.Intermediate("Add", new[] { sum, onnx.Inputs[i] }, $"partial{i}");
        return onnx.Node("Add", new[] { sum, onnx.Inputs[^1] });
    }

    internal override ChannelRule ChannelFlow => ChannelRule.Couples;
}
