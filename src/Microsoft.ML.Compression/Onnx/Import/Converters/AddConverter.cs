using Microsoft.ML.Compression.Graph;

namespace Microsoft.ML.Compression.Onnx.Import.Converters;

/// <summary>
/// Add of two run-time tensors of one shape -> <see cref="AddLayer"/>. A left-to-right chain of Adds whose partial
/// sums feed nothing else (how <see cref="OnnxExporter"/> writes an n-input Add) becomes one n-input layer, which
/// sums in the same order. Add of a constant is a shift (<see cref="ConstantArithmetic"/>).
/// </summary>
[OnnxOp("Add")]
internal sealed class AddConverter : IOpConverter
{
    public void Convert(OnnxNode node, ImportContext context)
    {
        if (ConstantArithmetic.HasConstantInput(node, context))
        {
            ConstantArithmetic.Convert(node, context, ArithmeticOp.Add);
            return;
        }
        string left = context.LayerInput(node, 0), right = context.LayerInput(node, 1);
        if (context.SoleReaderOf(node, 0) is AddLayer partial)
        {
            context.ReplaceLayer(node, partial, new AddLayer(partial.Name, partial.Inputs.Append(right).ToArray()));
            return;
        }
        context.AddLayer(node, name => new AddLayer(name, new[] { left, right }));
    }
}
