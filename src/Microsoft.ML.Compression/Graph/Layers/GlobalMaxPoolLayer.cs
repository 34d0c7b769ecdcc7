using Microsoft.ML.Compression.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Graph;

/// <summary>Maximum over the whole feature map: [C,H,W] -> [C,1,1] (ONNX GlobalMaxPool, Keras GlobalMaxPooling2D).</summary>
public sealed class GlobalMaxPoolLayer : Layer
{
    /// <summary>Creates the layer.</summary>
    public GlobalMaxPoolLayer(string name, string input) : base(name, new[] { input }) { }

    /// <inheritdoc />
    public override string Kind => "GlobalMaxPool";

    /// <inheritdoc />
    public override int[] InferShape(IReadOnlyList<int[]> inputShapes) => new[] { SingleFeatureMap(inputShapes)[0], 1, 1 };

    /// <inheritdoc />
    public override Layer WithInputs(IReadOnlyList<string> inputs) => new GlobalMaxPoolLayer(Name, inputs[0]);

    internal override Tensor Forward(IReadOnlyList<Tensor> inputs, nn.Module<Tensor, Tensor>? module) =>
        nn.functional.adaptive_max_pool2d(inputs[0], new long[] { 1, 1 });

    internal override string WriteOnnx(OnnxLayerContext onnx) => onnx.Node("GlobalMaxPool", onnx.Inputs);

    internal override ChannelRule ChannelFlow => ChannelRule.PassThrough;

    // The maximum is one of the input's values, so it keeps the input's int8 grid.
    internal override bool KeepsInputGrid => true;
}
