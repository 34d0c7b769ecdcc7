namespace Microsoft.ML.Compression.Onnx.Import.Evaluators;

/// <summary>Transpose of a constant (perm defaults to reversing the axes), e.g. in PyTorch's export of pads for F.pad.</summary>
[OnnxOp("Transpose")]
internal sealed class TransposeEvaluator : IConstantEvaluator
{
    public IReadOnlyList<ConstantTensor> Evaluate(OnnxNode node, ConstantInputs inputs)
    {
        ConstantTensor data = inputs.Required(0);
        int rank = data.Rank;
        int[] perm = (node.Ints("perm") ?? Enumerable.Range(0, rank).Reverse().Select(i => (long)i).ToArray()).Select(p => Axes.Normalize(p, rank, node)).ToArray();
        if (perm.Length != rank || perm.Distinct().Count() != rank) throw node.Invalid($"perm [{string.Join(",", perm)}] is not a permutation of {rank} axes.");
        long[] shape = perm.Select(p => data.Shape[p]).ToArray();
        var strides = new long[rank];
        for (int i = rank - 1, s = 1; i >= 0; s *= (int)data.Shape[i], i--) strides[i] = s;
        var source = new long[data.Count];
        var index = new long[rank];
        for (long n = 0; n < source.Length; n++)
        {
            long rest = n, offset = 0;
            for (int i = rank - 1; i >= 0; i--) { index[i] = rest % shape[i]; rest /= shape[i]; }
            for (int i = 0; i < rank; i++) offset += index[i] * strides[perm[i]];
            source[n] = offset;
        }
        return new[] { data.IsFloat
            ? ConstantTensor.Float(shape, source.Select(i => data.Floats[i]).ToArray())
            : ConstantTensor.Integer(data.Type, shape, source.Select(i => data.Integers[i]).ToArray()) };
    }
}
