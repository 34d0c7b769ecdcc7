namespace Microsoft.ML.Compression.Onnx.Import.Evaluators;

/// <summary>Reshape of a constant (0 copies a dimension unless allowzero, -1 is inferred).</summary>
[OnnxOp("Reshape")]
internal sealed class ReshapeEvaluator : IConstantEvaluator
{
    public IReadOnlyList<ConstantTensor> Evaluate(OnnxNode node, ConstantInputs inputs)
    {
        ConstantTensor data = inputs.Required(0);
        long[] target = inputs.OptionalIntegers(1) ?? throw node.Invalid("input 1 (shape) is required.");
        return new[] { data.Reshaped(ResolveShape(node, data.Shape, target)) };
    }

    /// <summary>The output dims of a Reshape of <paramref name="input"/> to <paramref name="target"/>.</summary>
    public static long[] ResolveShape(OnnxNode node, long[] input, long[] target)
    {
        bool allowZero = node.Int("allowzero", 0) != 0;
        var shape = (long[])target.Clone();
        int inferred = -1;
        long known = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] == 0 && !allowZero)
            {
                if (i >= input.Length) throw node.Invalid($"shape [{string.Join(",", target)}] copies dimension {i}, which the input does not have.");
                shape[i] = input[i];
            }
            if (shape[i] == -1)
            {
                if (inferred >= 0) throw node.Invalid($"shape [{string.Join(",", target)}] has more than one -1.");
                inferred = i;
                continue;
            }
            if (shape[i] < 0) throw node.Invalid($"shape [{string.Join(",", target)}] has a negative dimension.");
            known *= shape[i];
        }
        long count = ConstantTensor.ElementCount(input);
        if (inferred >= 0)
        {
            if (known == 0 || count % known != 0) throw node.Invalid($"cannot reshape [{string.Join(",", input)}] to [{string.Join(",", target)}].");
            shape[inferred] = count / known;
        }
        else if (known != count)
            throw node.Invalid($"cannot reshape [{string.Join(",", input)}] ({count} values) to [{string.Join(",", target)}].");
        return shape;
    }
}
