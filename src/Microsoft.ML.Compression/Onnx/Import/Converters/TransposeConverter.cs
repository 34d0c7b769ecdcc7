using Microsoft.ML.Compression.Graph;

namespace Microsoft.ML.Compression.Onnx.Import.Converters;

/// <summary>
/// Transpose that keeps the batch first -> <see cref="TransposeLayer"/> (NHWC to NCHW at a Keras input, NCHW to NHWC
/// before a Keras flatten); an identity permutation is an alias.
/// </summary>
[OnnxOp("Transpose")]
internal sealed class TransposeConverter : IOpConverter
{
    public void Convert(OnnxNode node, ImportContext context)
    {
        ActivationValue value = context.Activation(node, 0);
        int rank = value.Shape.Length + 1;
        long[] perm = node.Ints("perm") ?? Enumerable.Range(0, rank).Reverse().Select(i => (long)i).ToArray();
        if (perm.Length != rank) throw node.Invalid($"perm [{string.Join(",", perm)}] does not fit a rank-{rank} input.");
        if (perm[0] != 0) throw node.Unsupported($"perm [{string.Join(",", perm)}] moves the batch axis; only permutations that keep it first are supported.");
        int[] axes = perm.Skip(1).Select(p => (int)p - 1).ToArray();
        if (axes.SequenceEqual(Enumerable.Range(0, axes.Length)))
        {
            context.SetOutput(node, 0, value);
            return;
        }
        string input = context.LayerInput(node, 0);
        context.AddLayer(node, name => new TransposeLayer(name, input, axes));
    }
}
