using Microsoft.ML.Compression.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Graph;

/// <summary>Average over the whole feature map: [C,H,W] -> [C,1,1].</summary>
public sealed class GlobalAvgPoolLayer : Layer
{
    /// <summary>Creates the layer.</summary>
    public GlobalAvgPoolLayer(string name, string input) : base(name, new[] { input }) { }

    /// <inheritdoc />
    public override string Kind => "GlobalAvgPool";

    /// <inheritdoc />
    public override int[] InferShape(IReadOnlyList<int[]> inputShapes) => new[] { SingleFeatureMap(inputShapes)[0], 1, 1 };

    /// <inheritdoc />
    public override Layer WithInputs(IReadOnlyList<string> inputs) => new GlobalAvgPoolLayer(Name, inputs[0]);

    internal override Tensor Forward(IReadOnlyList<Tensor> inputs, nn.Module<Tensor, Tensor>? module) =>
        nn.functional.adaptive_avg_pool2d(inputs[0], 1);

    internal override string WriteOnnx(OnnxLayerContext onnx) => onnx.Node("GlobalAveragePool", onnx.Inputs);

    internal override ChannelRule ChannelFlow => ChannelRule.PassThrough;
}
