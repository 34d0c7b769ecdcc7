namespace Microsoft.ML.Compression.Onnx.Import.Evaluators;

/// <summary>Squeeze of a constant: axes as an input (opset 13+) or an attribute (before); none removes every 1.</summary>
[OnnxOp("Squeeze")]
internal sealed class SqueezeEvaluator : IConstantEvaluator
{
    public IReadOnlyList<ConstantTensor> Evaluate(OnnxNode node, ConstantInputs inputs)
    {
        ConstantTensor data = inputs.Required(0);
        long[]? axes = inputs.Opset >= 13 ? inputs.OptionalIntegers(1) : node.Ints("axes");
        var removed = axes is null
            ? Enumerable.Range(0, data.Rank).Where(i => data.Shape[i] == 1).ToHashSet()
            : axes.Select(a => Axes.Normalize(a, data.Rank, node)).ToHashSet();
        foreach (int axis in removed)
            if (data.Shape[axis] != 1) throw node.Invalid($"axis {axis} of {data} is not 1.");
        return new[] { data.Reshaped(data.Shape.Where((_, i) => !removed.Contains(i)).ToArray()) };
    }
}
