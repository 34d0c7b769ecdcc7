namespace Microsoft.ML.Compression.Onnx.Import.Evaluators;

/// <summary>Squeeze of a constant: axes as an input (opset 13+) or an attribute (before); none removes every 1.</summary>
[OnnxOp("Squeeze")]
internal sealed class SqueezeEvaluator : IConstantEvaluator
{
    public IReadOnlyList<ConstantTensor> Evaluate(OnnxNode node, ConstantInputs inputs)
    {
        ConstantTensor data = inputs.Required(0);
        long[]? axes = inputs.Opset >= 13 ? inputs.OptionalIntegers(1) : node.Ints("axes");
        return new[] { data.Reshaped(Axes.Squeezed(data.Shape, axes, node)) };
    }
}
