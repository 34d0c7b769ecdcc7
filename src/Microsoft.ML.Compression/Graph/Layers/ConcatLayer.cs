using Microsoft.ML.Compression.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Graph;

/// <summary>Concatenation of feature maps along the channel axis.</summary>
public sealed class ConcatLayer : Layer
{
    /// <summary>Creates the layer.</summary>
    public ConcatLayer(string name, IReadOnlyList<string> inputs) : base(name, inputs)
    {
        if (inputs.Count < 2) throw new ArgumentException($"Concat '{name}' needs at least 2 inputs.", nameof(inputs));
    }

    /// <inheritdoc />
    public override string Kind => "Concat";

    /// <inheritdoc />
    public override int[] InferShape(IReadOnlyList<int[]> inputShapes)
    {
        int[] first = inputShapes[0];
        int channels = 0;
        for (int i = 0; i < inputShapes.Count; i++)
        {
            int[] s = inputShapes[i];
            if (s.Length != first.Length || !s.Skip(1).SequenceEqual(first.Skip(1)))
                throw ShapeError($"inputs must agree on all but the channel axis, but '{Inputs[0]}' is {Format(first)} and '{Inputs[i]}' is {Format(s)}.");
            channels += s[0];
        }
        var result = (int[])first.Clone();
        result[0] = channels;
        return result;
    }

    /// <inheritdoc />
    public override Layer WithInputs(IReadOnlyList<string> inputs) => new ConcatLayer(Name, inputs);

    internal override Tensor Forward(IReadOnlyList<Tensor> inputs, nn.Module<Tensor, Tensor>? module) => torch.cat(inputs.ToArray(), 1);

    // Axis 0 of the IR is axis 1 after the batch.
    internal override string WriteOnnx(OnnxLayerContext onnx) => onnx.Node("Concat", onnx.Inputs, OnnxAttributes.Int("axis", 1));

    internal override ChannelRule ChannelFlow => ChannelRule.Concatenates;
}
