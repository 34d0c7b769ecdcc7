namespace Microsoft.ML.Compression.Onnx.Import.Evaluators;

/// <summary>
/// How a QuantizeLinear/DequantizeLinear scale maps onto its data: one scale for the whole tensor (a scalar or a
/// one-element vector, as ONNX Runtime reads it) or one per slice along <c>axis</c> (default 1). Blocked quantization
/// (opset 21's block_size) is not supported.
/// </summary>
internal readonly record struct QuantizationAxis(int Channels, int Inner)
{
    /// <summary>The scale (and zero point) index of element <paramref name="i"/> of the data.</summary>
    public int ScaleIndex(int i) => Channels == 1 ? 0 : i / Inner % Channels;

    /// <summary>Checks <paramref name="scale"/> and <paramref name="zeroPoint"/> against <paramref name="data"/>.</summary>
    public static QuantizationAxis Of(OnnxNode node, ConstantTensor data, ConstantTensor scale, ConstantTensor? zeroPoint)
    {
        if (node.Int("block_size", 0) != 0) throw node.Unsupported("blocked quantization (block_size) is not supported.");
        if (!scale.IsFloat) throw node.Unsupported($"the scale is {scale}; only FLOAT scales are supported.");
        if (zeroPoint is not null && (zeroPoint.Count != scale.Count || zeroPoint.Rank != scale.Rank))
            throw node.Invalid($"the zero point {zeroPoint} does not match the scale {scale}.");
        if (scale.Count == 1 && scale.Rank <= 1) return new QuantizationAxis(1, 1);
        if (scale.Rank != 1) throw node.Invalid($"the scale {scale} is neither a scalar nor a vector.");
        int axis = Axes.Normalize(node.Int("axis", 1), data.Rank, node);
        if (data.Shape[axis] != scale.Count)
            throw node.Invalid($"the scale {scale} does not match axis {axis} of the data {data}.");
        long inner = 1;
        for (int a = axis + 1; a < data.Rank; a++) inner *= data.Shape[a];
        return new QuantizationAxis(scale.Count, (int)inner);
    }
}
