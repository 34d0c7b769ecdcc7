using Microsoft.ML.Compression.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Graph;

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

    internal override Tensor Forward(IReadOnlyList<Tensor> inputs, nn.Module<Tensor, Tensor>? module) =>
        nn.functional.avg_pool2d(inputs[0], KernelSize, Stride, Padding, count_include_pad: false);

    internal override string WriteOnnx(OnnxLayerContext onnx) =>
        onnx.Node("AveragePool", onnx.Inputs, WindowAttributes(OnnxAttributes.Int("count_include_pad", 0)));
}
