using Microsoft.ML.Compression.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Graph;

/// <summary>x * max(0, min(1, x / 6 + 0.5)) (ONNX HardSwish, PyTorch Hardswish; MobileNetV3's activation).</summary>
public sealed class HardSwishLayer : ElementwiseLayer
{
    /// <summary>Creates the layer.</summary>
    public HardSwishLayer(string name, string input) : base(name, input) { }

    /// <inheritdoc />
    public override string Kind => "HardSwish";

    /// <inheritdoc />
    public override Layer WithInputs(IReadOnlyList<string> inputs) => new HardSwishLayer(Name, inputs[0]);

    internal override Tensor Forward(IReadOnlyList<Tensor> inputs, nn.Module<Tensor, Tensor>? module) => nn.functional.hardswish(inputs[0]);

    // ONNX HardSwish needs opset 14 and the writer may target 13; x * HardSigmoid(x) is the same function at any
    // opset (it is what PyTorch itself writes below 14).
    internal override string WriteOnnx(OnnxLayerContext onnx)
    {
        string gate = onnx.Intermediate("HardSigmoid", onnx.Inputs, "gate",
            OnnxAttributes.Float("alpha", (float)HardSigmoidLayer.TorchAlpha), OnnxAttributes.Float("beta", 0.5f));
        return onnx.Node("Mul", new[] { onnx.Inputs[0], gate });
    }
}
