using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Onnx.Import.Evaluators;

namespace Microsoft.ML.Compression.Onnx.Import.Converters;

/// <summary>
/// Slice of a run-time tensor with constant starts, ends, axes and positive steps (inputs from opset 10, attributes
/// before) -> one <see cref="SliceLayer"/> per sliced axis; the batch axis may not be sliced; a slice that keeps
/// everything is an alias.
/// </summary>
[OnnxOp("Slice")]
internal sealed class SliceConverter : IOpConverter
{
    public void Convert(OnnxNode node, ImportContext context)
    {
        ActivationValue value = context.Activation(node, 0);
        var (starts, ends, axes, steps) = SliceArguments.Read(node, context.Opset, i => context.OptionalIntegers(node, i));
        int rank = value.Shape.Length + 1;

        string current = context.LayerInput(node, 0);
        int[] shape = context.ShapeOf(current);
        var slices = new List<(int Axis, int First, int Count, int Step)>();
        for (int i = 0; i < starts.Length; i++)
        {
            int axis = Axes.Normalize(axes[i], rank, node);
            if (steps[i] <= 0) throw node.Unsupported($"step {steps[i]} is not supported; only positive steps are.");
            if (axis == 0)
            {
                // Exporters write "all of it" as 0 to INT32_MAX or INT64_MAX.
                if (starts[i] != 0 || steps[i] != 1 || ends[i] < int.MaxValue)
                    throw node.Unsupported("slicing the batch axis is not supported.");
                continue;
            }
            var (first, count) = SliceEvaluator.Range(starts[i], ends[i], steps[i], shape[axis - 1]);
            if (count == 0) throw node.Unsupported($"the slice of axis {axis} is empty.");
            if (first != 0 || count != shape[axis - 1] || steps[i] != 1) slices.Add((axis - 1, (int)first, (int)count, (int)steps[i]));
        }
        if (slices.Count == 0)
        {
            context.SetOutput(node, 0, value);
            return;
        }
        foreach (var s in slices)
        {
            string input = current;
            current = context.AddLayer(node, name => new SliceLayer(name, input, s.Axis, s.First, s.Count, s.Step)).Tensor;
        }
    }
}
