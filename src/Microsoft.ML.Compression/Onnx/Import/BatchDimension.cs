namespace Microsoft.ML.Compression.Onnx.Import;

/// <summary>
/// The batch size inside folded shape computations. Shape of a run-time tensor is folded to a constant whose first
/// value is <see cref="Marker"/> (the batch is only known at run time); Gather, Unsqueeze, Concat and Cast carry it
/// along, and a Reshape accepts it where the batch goes. A negative value other than -1 is never a valid dimension,
/// so arithmetic on it cannot go unnoticed.
/// </summary>
internal static class BatchDimension
{
    /// <summary>Stands for the run-time batch size (fits INT32, so Casts keep it).</summary>
    public const long Marker = -999_999_937;
}
