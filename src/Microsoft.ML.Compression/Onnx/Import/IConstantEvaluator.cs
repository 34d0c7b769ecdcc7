namespace Microsoft.ML.Compression.Onnx.Import;

/// <summary>
/// Computes a node whose inputs are all constants, as ONNX Runtime would, so that weights stored quantized or packed
/// reach the IR as the float values the runtime uses. Evaluators are stateless.
/// </summary>
internal interface IConstantEvaluator
{
    /// <summary>The node's outputs, in order (fewer than the node declares when the rest are never computed).</summary>
    IReadOnlyList<ConstantTensor> Evaluate(OnnxNode node, ConstantInputs inputs);
}
