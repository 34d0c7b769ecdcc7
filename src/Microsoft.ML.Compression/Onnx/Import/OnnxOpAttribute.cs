namespace Microsoft.ML.Compression.Onnx.Import;

/// <summary>
/// Registers the class it decorates (an <see cref="IOpConverter"/> or an <see cref="IConstantEvaluator"/>) for an ONNX
/// op type of the default domain: adding an op to the importer is adding one such class.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
internal sealed class OnnxOpAttribute : Attribute
{
    /// <summary>Registers the class for <paramref name="opType"/>.</summary>
    public OnnxOpAttribute(string opType) => OpType = opType;

    /// <summary>The op type, e.g. "Conv".</summary>
    public string OpType { get; }
}
