namespace Microsoft.ML.Compression.Onnx.Import.Evaluators;

/// <summary>Identity of a constant.</summary>
[OnnxOp("Identity")]
internal sealed class IdentityEvaluator : IConstantEvaluator
{
    public IReadOnlyList<ConstantTensor> Evaluate(OnnxNode node, ConstantInputs inputs) => new[] { inputs.Required(0) };
}
