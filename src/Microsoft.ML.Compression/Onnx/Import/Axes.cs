namespace Microsoft.ML.Compression.Onnx.Import;

/// <summary>Axis arguments as the IR defines them: negative values count from the end.</summary>
internal static class Axes
{
    /// <summary><paramref name="axis"/> in [0, rank); throws naming <paramref name="node"/> when out of range.</summary>
    public static int Normalize(long axis, int rank, OnnxNode node)
    {
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) throw node.Invalid($"axis {axis} is out of range for rank {rank}.");
        return (int)a;
    }
}
