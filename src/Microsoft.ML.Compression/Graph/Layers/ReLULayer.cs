using Microsoft.ML.Compression.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Graph;

/// <summary>max(x, 0).</summary>
public sealed class ReLULayer : ElementwiseLayer
{
    /// <summary>Creates the layer.</summary>
    public ReLULayer(string name, string input) : base(name, input) { }

    /// <inheritdoc />
    public override string Kind => "ReLU";

    /// <inheritdoc />
    public override Layer WithInputs(IReadOnlyList<string> inputs) => new ReLULayer(Name, inputs[0]);

    internal override Tensor Forward(IReadOnlyList<Tensor> inputs, nn.Module<Tensor, Tensor>? module) => nn.functional.relu(inputs[0]);

    internal override string WriteOnnx(OnnxLayerContext onnx) => onnx.Node("Relu", onnx.Inputs);

    internal override bool FoldsIntoQuantizedProducer => true;
}
