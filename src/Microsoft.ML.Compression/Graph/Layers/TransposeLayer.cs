using Microsoft.ML.Compression.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Graph;

/// <summary>
/// Reorders the axes of its input (batch excluded): output axis i is input axis <see cref="Permutation"/>[i]. Keras
/// and TensorFlow exports use it to go from NHWC to NCHW at the input and back before flattening; pruning follows the
/// channel axis through it.
/// </summary>
public sealed class TransposeLayer : Layer
{
    private readonly int[] _permutation;

    /// <summary>Creates the layer; <paramref name="permutation"/> lists every input axis (batch excluded) once.</summary>
    public TransposeLayer(string name, string input, IReadOnlyList<int> permutation) : base(name, new[] { input })
    {
        ArgumentNullException.ThrowIfNull(permutation);
        if (permutation.Count == 0 || !permutation.OrderBy(p => p).SequenceEqual(Enumerable.Range(0, permutation.Count)))
            throw new ArgumentException($"Transpose '{name}': [{string.Join(",", permutation)}] is not a permutation of 0..{permutation.Count - 1}.", nameof(permutation));
        _permutation = permutation.ToArray();
    }

    /// <summary>Output axis i is input axis Permutation[i] (batch excluded).</summary>
    public IReadOnlyList<int> Permutation => _permutation;

    /// <inheritdoc />
    public override string Kind => "Transpose";

    /// <inheritdoc />
    public override int[] InferShape(IReadOnlyList<int[]> inputShapes)
    {
        if (inputShapes.Count != 1) throw ShapeError($"expects 1 input, got {inputShapes.Count}.");
        int[] x = inputShapes[0];
        if (x.Length != _permutation.Length)
            throw ShapeError($"permutation [{string.Join(",", _permutation)}] does not fit the input {Format(x)}.");
        return _permutation.Select(p => x[p]).ToArray();
    }

    /// <inheritdoc />
    public override Layer WithInputs(IReadOnlyList<string> inputs) => new TransposeLayer(Name, inputs[0], _permutation);

    internal override Tensor Forward(IReadOnlyList<Tensor> inputs, nn.Module<Tensor, Tensor>? module) =>
        inputs[0].permute(_permutation.Select(p => (long)p + 1).Prepend(0L).ToArray()).contiguous();

    internal override string WriteOnnx(OnnxLayerContext onnx) =>
        onnx.Node("Transpose", onnx.Inputs, OnnxAttributes.Ints("perm", _permutation.Select(p => (long)p + 1).Prepend(0L).ToArray()));

    internal override ChannelRule ChannelFlow => ChannelRule.Permutes;

    internal override bool KeepsInputGrid => true;
}
