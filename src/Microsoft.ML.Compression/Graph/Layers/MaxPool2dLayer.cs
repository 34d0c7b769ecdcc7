using Microsoft.ML.Compression.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Graph;

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

    internal override Tensor Forward(IReadOnlyList<Tensor> inputs, nn.Module<Tensor, Tensor>? module) =>
        nn.functional.max_pool2d(inputs[0], KernelSize, Stride, Padding);

    internal override string WriteOnnx(OnnxLayerContext onnx) => onnx.Node("MaxPool", onnx.Inputs, WindowAttributes());

    internal override bool KeepsInputGrid => true;
}
