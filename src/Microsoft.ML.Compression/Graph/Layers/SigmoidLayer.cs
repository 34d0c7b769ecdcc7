using Microsoft.ML.Compression.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Graph;

/// <summary>1 / (1 + exp(-x)), e.g. the gate of a squeeze-and-excitation block.</summary>
public sealed class SigmoidLayer : ElementwiseLayer
{
    /// <summary>Creates the layer.</summary>
    public SigmoidLayer(string name, string input) : base(name, input) { }

    /// <inheritdoc />
    public override string Kind => "Sigmoid";

    /// <inheritdoc />
    public override Layer WithInputs(IReadOnlyList<string> inputs) => new SigmoidLayer(Name, inputs[0]);

    internal override Tensor Forward(IReadOnlyList<Tensor> inputs, nn.Module<Tensor, Tensor>? module) => torch.sigmoid(inputs[0]);

    internal override string WriteOnnx(OnnxLayerContext onnx) => onnx.Node("Sigmoid", onnx.Inputs);
}
