using Microsoft.ML.Compression.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Graph;

/// <summary>
/// Gives its input another shape with the same values in the same row-major order (batch excluded), e.g. [C] to
/// [C,1,1]. Flattening to a vector is <see cref="FlattenLayer"/>, which pruning follows; pruning stops here, since
/// the target shape fixes the sizes.
/// </summary>
public sealed class ReshapeLayer : Layer
{
    private readonly int[] _shape;

    /// <summary>Creates the layer; <paramref name="shape"/> holds positive sizes (batch excluded).</summary>
    public ReshapeLayer(string name, string input, IReadOnlyList<int> shape) : base(name, new[] { input })
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Count == 0 || shape.Any(d => d <= 0))
            throw new ArgumentException($"Reshape '{name}': the target shape [{string.Join(",", shape)}] needs positive sizes.", nameof(shape));
        _shape = shape.ToArray();
    }

    /// <summary>The output shape (batch excluded).</summary>
    public IReadOnlyList<int> TargetShape => _shape;

    /// <inheritdoc />
    public override string Kind => "Reshape";

    /// <inheritdoc />
    public override int[] InferShape(IReadOnlyList<int[]> inputShapes)
    {
        if (inputShapes.Count != 1) throw ShapeError($"expects 1 input, got {inputShapes.Count}.");
        long have = inputShapes[0].Aggregate(1L, (a, d) => a * d), want = _shape.Aggregate(1L, (a, d) => a * d);
        if (have != want) throw ShapeError($"cannot reshape {Format(inputShapes[0])} ({have} values) to {Format(_shape)} ({want} values).");
        return (int[])_shape.Clone();
    }

    /// <inheritdoc />
    public override Layer WithInputs(IReadOnlyList<string> inputs) => new ReshapeLayer(Name, inputs[0], _shape);

    internal override Tensor Forward(IReadOnlyList<Tensor> inputs, nn.Module<Tensor, Tensor>? module) =>
        inputs[0].reshape(_shape.Select(d => (long)d).Prepend(-1L).ToArray());

    internal override string WriteOnnx(OnnxLayerContext onnx) =>
        onnx.Node("Reshape", new[] { onnx.Inputs[0], onnx.Builder.AddInitializer(OnnxTensors.Int64Vector($"{Name}_shape", _shape.Select(d => (long)d).Prepend(-1L).ToArray())) });

    internal override string BlockReason => $"reshape '{Name}' to {Format(_shape)}";

    // [C] to [C,1,1] (a vector of units made a gate for a map, as a squeeze-and-excite written with Linear layers
    // does) keeps unit c as channel c; any other reshape fixes the sizes.
    private bool UnitsToMap => _shape.Length == 3 && _shape[1] == 1 && _shape[2] == 1;

    internal override ChannelRule ChannelFlow => UnitsToMap ? ChannelRule.PassThrough : ChannelRule.Blocks;

    internal override Layer Prune(KeptChannels kept) =>
        UnitsToMap && kept.Output.Length != _shape[0] ? new ReshapeLayer(Name, Inputs[0], new[] { kept.Output.Length, 1, 1 }) : Clone();

    internal override bool KeepsInputGrid => true;
}
