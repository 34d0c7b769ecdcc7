namespace Microsoft.ML.Compression.Onnx.Import;

/// <summary>The constant inputs of a node being folded (null where an optional input is omitted) and the model's opset.</summary>
internal sealed class ConstantInputs
{
    private readonly OnnxNode _node;
    private readonly IReadOnlyList<ConstantTensor?> _values;

    /// <summary>Creates the inputs of <paramref name="node"/>.</summary>
    public ConstantInputs(OnnxNode node, IReadOnlyList<ConstantTensor?> values, int opset)
    {
        _node = node;
        _values = values;
        Opset = opset;
    }

    /// <summary>The ai.onnx opset the model imports (ops changed their inputs and attributes between versions).</summary>
    public int Opset { get; }

    /// <summary>Input <paramref name="index"/>; throws naming the node when it is omitted.</summary>
    public ConstantTensor Required(int index) =>
        Optional(index) ?? throw _node.Invalid($"input {index} is required.");

    /// <summary>Input <paramref name="index"/>, or null when omitted.</summary>
    public ConstantTensor? Optional(int index) => index < _values.Count ? _values[index] : null;

    /// <summary>Input <paramref name="index"/>, which must be FLOAT.</summary>
    public ConstantTensor RequiredFloat(int index)
    {
        ConstantTensor t = Required(index);
        return t.IsFloat ? t : throw _node.Unsupported($"input {index} is {t}; only FLOAT is supported here.");
    }

    /// <summary>Input <paramref name="index"/> as integers (e.g. a shape or axes), or null when omitted.</summary>
    public long[]? OptionalIntegers(int index) => IntegerVector(_node, index, Optional(index));

    /// <summary>The values of <paramref name="t"/>, input <paramref name="index"/> of <paramref name="node"/>, which must be a 1-D (or scalar) integer tensor; null for null.</summary>
    public static long[]? IntegerVector(OnnxNode node, int index, ConstantTensor? t)
    {
        if (t is null) return null;
        return !t.IsFloat && t.Rank <= 1 ? t.Integers : throw node.Invalid($"input {index} must be a 1-D integer tensor, got {t}.");
    }
}
