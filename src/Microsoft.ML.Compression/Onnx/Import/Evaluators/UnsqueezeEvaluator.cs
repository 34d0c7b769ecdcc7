namespace Microsoft.ML.Compression.Onnx.Import.Evaluators;

/// <summary>Unsqueeze of a constant: axes as an input (opset 13+) or an attribute (before).</summary>
[OnnxOp("Unsqueeze")]
internal sealed class UnsqueezeEvaluator : IConstantEvaluator
{
    public IReadOnlyList<ConstantTensor> Evaluate(OnnxNode node, ConstantInputs inputs)
    {
        ConstantTensor data = inputs.Required(0);
        long[] axes = (inputs.Opset >= 13 ? inputs.OptionalIntegers(1) : node.Ints("axes"))
            ?? throw node.Invalid("the axes are required.");
        int rank = data.Rank + axes.Length;
        var inserted = axes.Select(a => Axes.Normalize(a, rank, node)).ToHashSet();
        if (inserted.Count != axes.Length) throw node.Invalid("an axis is repeated.");
        var shape = new long[rank];
        for (int i = 0, j = 0; i < rank; i++)
            shape[i] = inserted.Contains(i) ? 1 : data.Shape[j++];
        return new[] { data.Reshaped(shape) };
    }
}
