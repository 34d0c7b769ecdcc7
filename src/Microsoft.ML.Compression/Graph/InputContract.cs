namespace Microsoft.ML.Compression.Graph;

/// <summary>
/// The input a network was imported with, which its exported models keep so that what fed the original file feeds
/// them: the batch dimension as the file wrote it (a fixed size such as "1" or a symbolic name such as "N" or
/// "unk__6") and the sizes after it in the file's own layout ([1,28,28], [28,28,1], [784]...).
/// </summary>
/// <param name="Batch">The batch dimension: digits for a fixed batch, otherwise its symbolic name.</param>
/// <param name="Dimensions">The sizes after the batch.</param>
public sealed record InputContract(string Batch, IReadOnlyList<int> Dimensions)
{
    /// <summary>True when the batch is a fixed size.</summary>
    public bool HasFixedBatch => Batch.Length > 0 && Batch.All(char.IsAsciiDigit);

    /// <summary>Values in one sample (the feature column's length).</summary>
    public int Size => Dimensions.Aggregate(1, (a, d) => checked(a * d));

    /// <summary>"[N,1,28,28]".</summary>
    public override string ToString() => $"[{Batch},{string.Join(",", Dimensions)}]";
}
