using Microsoft.ML.Compression.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Graph;

/// <summary>min(max(x, 0), 6).</summary>
public sealed class ReLU6Layer : ElementwiseLayer
{
    /// <summary>Creates the layer.</summary>
    public ReLU6Layer(string name, string input) : base(name, input) { }

    /// <inheritdoc />
    public override string Kind => "ReLU6";

    /// <inheritdoc />
    public override Layer WithInputs(IReadOnlyList<string> inputs) => new ReLU6Layer(Name, inputs[0]);

    internal override Tensor Forward(IReadOnlyList<Tensor> inputs, nn.Module<Tensor, Tensor>? module) => nn.functional.relu6(inputs[0]);

    // Since opset 11 Clip takes its bounds as (scalar) inputs; one shared pair serves every ReLU6.
    internal override string WriteOnnx(OnnxLayerContext onnx) =>
        onnx.Node("Clip", new[]
        {
            onnx.Inputs[0],
            onnx.SharedConstant("relu6_min", () => OnnxTensors.FloatScalar("relu6_min", 0f)),
            onnx.SharedConstant("relu6_max", () => OnnxTensors.FloatScalar("relu6_max", 6f)),
        });

    internal override bool FoldsIntoQuantizedProducer => true;
}
