namespace Microsoft.ML.Compression.Onnx.Import.Evaluators;

/// <summary>Unsqueeze of a constant: axes as an input (opset 13+) or an attribute (before).</summary>
[OnnxOp("Unsqueeze")]
internal sealed class UnsqueezeEvaluator : IConstantEvaluator
{
    public IReadOnlyList<ConstantTensor> Evaluate(OnnxNode node, ConstantInputs inputs)
    {
        ConstantTensor data = inputs.Required(0);
        long[] axes = (inputs.Opset >= 13 ? inputs.OptionalIntegers(1) : node.Ints("axes"))
            ?? throw node.Invalid("the axes are required.");
        return new[] { data.Reshaped(Axes.Unsqueezed(data.Shape, axes, node)) };
    }
}
