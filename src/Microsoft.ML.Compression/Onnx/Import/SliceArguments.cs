namespace Microsoft.ML.Compression.Onnx.Import;

/// <summary>
/// A Slice node's starts, ends, axes and steps: inputs 1-4 from opset 10, attributes (no steps) before; axes default
/// to 0..n-1 and steps to 1. Shared by the constant evaluator and the run-time converter.
/// </summary>
internal sealed record SliceArguments(long[] Starts, long[] Ends, long[] Axes, long[] Steps)
{
    /// <summary>Reads the arguments of <paramref name="node"/>; <paramref name="input"/> gives a constant integer input or null.</summary>
    public static SliceArguments Read(OnnxNode node, int opset, Func<int, long[]?> input)
    {
        long[] starts, ends;
        long[]? axes, steps = null;
        if (opset >= 10)
        {
            starts = input(1) ?? throw node.Invalid("input 1 (starts) is required.");
            ends = input(2) ?? throw node.Invalid("input 2 (ends) is required.");
            axes = input(3);
            steps = input(4);
        }
        else
        {
            starts = node.Ints("starts") ?? throw node.Invalid("attribute 'starts' is required.");
            ends = node.Ints("ends") ?? throw node.Invalid("attribute 'ends' is required.");
            axes = node.Ints("axes");
        }
        axes ??= Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
        steps ??= Enumerable.Repeat(1L, starts.Length).ToArray();
        if (ends.Length != starts.Length || axes.Length != starts.Length || steps.Length != starts.Length)
            throw node.Invalid("starts, ends, axes and steps must have the same length.");
        return new SliceArguments(starts, ends, axes, steps);
    }
}
