namespace Microsoft.ML.Compression.Onnx;

/// <summary>
/// One dimension of a graph input or output: a fixed size or a symbolic name such as the batch dimension "N".
/// Converts implicitly from <see cref="long"/>, <see cref="int"/> and <see cref="string"/> so shapes read naturally,
/// e.g. <c>new OnnxDim[] { "N", 784 }</c>.
/// </summary>
internal readonly record struct OnnxDim
{
    private OnnxDim(long value, string? symbol)
    {
        Value = value;
        Symbol = symbol;
    }

    /// <summary>The fixed size, when <see cref="Symbol"/> is null.</summary>
    public long Value { get; }

    /// <summary>The symbolic name, or null for a fixed size.</summary>
    public string? Symbol { get; }

    /// <summary>A fixed size.</summary>
    public static OnnxDim Fixed(long value) => new(value, null);

    /// <summary>A symbolic dimension.</summary>
    public static OnnxDim Symbolic(string symbol) => new(0, symbol);

    /// <summary>A fixed size.</summary>
    public static implicit operator OnnxDim(long value) => Fixed(value);

    /// <summary>A fixed size.</summary>
    public static implicit operator OnnxDim(int value) => Fixed(value);

    /// <summary>A symbolic dimension.</summary>
    public static implicit operator OnnxDim(string symbol) => Symbolic(symbol);

    /// <inheritdoc />
    public override string ToString() => Symbol ?? Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
