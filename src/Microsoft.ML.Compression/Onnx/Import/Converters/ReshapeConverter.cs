using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Onnx.Import.Evaluators;

namespace Microsoft.ML.Compression.Onnx.Import.Converters;

/// <summary>
/// Reshape of a run-time tensor that keeps the batch in front (as 0, -1 or the batch of a folded Shape), to 1 to 3
/// sizes; see <see cref="Reshaping"/> for what it becomes.
/// </summary>
[OnnxOp("Reshape")]
internal sealed class ReshapeConverter : IOpConverter
{
    public void Convert(OnnxNode node, ImportContext context)
    {
        ActivationValue value = context.Activation(node, 0);
        ConstantTensor target = context.Constant(node, 1);
        if (target.IsFloat || target.Rank != 1) throw node.Invalid($"the shape is {target}, not a 1-D integer tensor.");
        Reshaping.Apply(node, context, value, OutputShape(node, value.Shape, target.Integers, context.BatchIsOne));
    }

    /// <summary>
    /// The target shape without the batch, which the target must keep: as 0, as the one -1, as a folded Shape's batch,
    /// or as 1 in a model whose input fixes the batch at 1 (e.g. [1, 256]).
    /// </summary>
    private static int[] OutputShape(OnnxNode node, int[] input, long[] target, bool batchIsOne)
    {
        target = target.Select((d, i) => d == BatchDimension.Marker || (i == 0 && d == 1 && batchIsOne) ? 0 : d).ToArray();
        if (target.Length == 0 || target[0] is not (0 or -1))
            throw node.Unsupported($"shape [{string.Join(",", target)}] does not keep the batch dimension (0 or -1 first).");
        // Resolve with a stand-in batch of 1: the batch stays in front exactly when the rest holds all the features.
        long[] inputWithBatch = input.Select(d => (long)d).Prepend(1L).ToArray();
        long[] resolved = ReshapeEvaluator.ResolveShape(node, inputWithBatch, target);
        if (resolved[0] != 1)
            throw node.Unsupported($"shape [{string.Join(",", target)}] moves values across the batch dimension.");
        return resolved.Skip(1).Select(d => (int)d).ToArray();
    }
}
