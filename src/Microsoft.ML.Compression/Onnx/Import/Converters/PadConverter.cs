using Microsoft.ML.Compression.Graph;

namespace Microsoft.ML.Compression.Onnx.Import.Converters;

/// <summary>
/// Pad of the height and width of a [N,C,H,W] map -> <see cref="PadLayer"/>, in modes constant, reflect and edge.
/// Pads and the constant value are attributes before opset 11 and constant inputs from 11 (with optional axes from
/// 18); pads of the batch or channel axis, negative pads (cropping) and mode wrap are refused.
/// </summary>
[OnnxOp("Pad")]
internal sealed class PadConverter : IOpConverter
{
    public void Convert(OnnxNode node, ImportContext context)
    {
        string input = context.LayerInput(node, 0);
        int[] shape = context.ShapeOf(input);
        if (shape.Length != 3) throw node.Unsupported($"its input has shape {Layer.Format(shape)}; only [C,H,W] feature maps can be padded.");
        string modeName = node.String("mode", "constant");
        PadMode mode = modeName switch
        {
            "constant" => PadMode.Constant,
            "reflect" => PadMode.Reflect,
            "edge" => PadMode.Edge,
            _ => throw node.Unsupported($"mode '{modeName}' is not supported; constant, reflect and edge are."),
        };
        long[] pads = context.Opset >= 11 ? PadsInput(node, context) : node.Ints("pads") ?? throw node.Invalid("attribute 'pads' is required.");
        if (pads.Length != 8) throw node.Invalid($"pads [{string.Join(",", pads)}] need 8 values (begin and end of each axis of a 4-D input).");
        float value = context.Opset >= 11 ? ValueInput(node, context) : node.Float("value", 0f);
        if (pads[0] != 0 || pads[1] != 0 || pads[4] != 0 || pads[5] != 0)
            throw node.Unsupported($"pads [{string.Join(",", pads)}] pad the batch or channel axis; only the height and width may be padded.");
        if (pads.Any(p => p < 0))
            throw node.Unsupported($"pads [{string.Join(",", pads)}] are negative (cropping), which is not supported.");
        if (pads.Any(p => p > int.MaxValue)) throw node.Unsupported($"pads [{string.Join(",", pads)}] are too large.");
        context.AddLayer(node, name => new PadLayer(name, input, (int)pads[2], (int)pads[3], (int)pads[6], (int)pads[7], value, mode));
    }

    /// <summary>The 8 pads of a 4-D input (every axis's begin, then every end), from input 1 and the optional axes input 3.</summary>
    private static long[] PadsInput(OnnxNode node, ImportContext context)
    {
        ConstantTensor pads = context.Constant(node, 1);
        if (pads.IsFloat || pads.Rank != 1) throw node.Invalid($"the pads (input 1) are {pads}; a 1-D INT64 tensor is expected.");
        long[] axes = context.OptionalConstant(node, 3) is ConstantTensor a
            ? (a.IsFloat || a.Rank > 1 ? throw node.Invalid($"the axes (input 3) are {a}; a 1-D integer tensor is expected.") : a.Integers)
            : new long[] { 0, 1, 2, 3 };
        if (pads.Count != 2 * axes.Length)
            throw node.Invalid($"the pads (input 1) have {pads.Count} values for {axes.Length} axes; 2 per axis are expected.");
        var full = new long[8];
        for (int i = 0; i < axes.Length; i++)
        {
            long axis = axes[i] < 0 ? axes[i] + 4 : axes[i];
            if (axis is < 0 or > 3) throw node.Invalid($"axis {axes[i]} is out of range for a 4-D input.");
            full[axis] = pads.Integers[i];
            full[axis + 4] = pads.Integers[i + axes.Length];
        }
        return full;
    }

    private static float ValueInput(OnnxNode node, ImportContext context)
    {
        ConstantTensor? value = context.OptionalConstant(node, 2);
        if (value is null) return 0f;
        if (!value.IsFloat || value.Count != 1) throw node.Unsupported($"the constant value (input 2) is {value}; a FLOAT scalar is expected.");
        return value.Floats[0];
    }
}
