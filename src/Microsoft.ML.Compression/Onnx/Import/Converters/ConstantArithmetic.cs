using Microsoft.ML.Compression.Graph;

namespace Microsoft.ML.Compression.Onnx.Import.Converters;

/// <summary>The arithmetic ops whose one constant input <see cref="ConstantArithmetic"/> turns into a per-channel scale and shift.</summary>
internal enum ArithmeticOp { Add, Sub, Mul, Div }

/// <summary>
/// Add/Sub/Mul/Div of a run-time tensor and a constant that is a scalar or one value per channel (per feature of a
/// vector), written y = x * scale + shift. When the tensor is the output of a Conv2d, Linear, BatchNorm2d or
/// ScaleShift layer that nothing else reads, the scale and shift fold into its parameters (a Conv bias written as a
/// following Add, chained normalization steps); otherwise the node becomes a <see cref="ScaleShiftLayer"/> (e.g.
/// (x - mean) / std right after the image).
/// </summary>
internal static class ConstantArithmetic
{
    /// <summary>True when one of the node's two inputs is a constant (both constant nodes are folded before converters run).</summary>
    public static bool HasConstantInput(OnnxNode node, ImportContext context) =>
        Enumerable.Range(0, 2).Any(i => node.HasInput(i) && context.IsConstant(node.Inputs[i]));

    /// <summary>Converts <paramref name="node"/>, one of whose inputs is a constant.</summary>
    public static void Convert(OnnxNode node, ImportContext context, ArithmeticOp op)
    {
        int constantIndex = context.IsConstant(node.Inputs[1]) ? 1 : 0, inputIndex = 1 - constantIndex;
        if (op == ArithmeticOp.Div && constantIndex == 0)
            throw node.Unsupported("it divides a constant by a run-time tensor (c / x), which the importer does not support; only x / c is.");
        string input = context.LayerInput(node, inputIndex);
        int[] shape = context.ShapeOf(input);
        float[] c = PerChannel(node, context.Constant(node, constantIndex), constantIndex, shape);
        (float[] scale, float[] shift) = Affine(node, op, c, constantLeft: constantIndex == 0);
        ApplyAffine(node, context, inputIndex, scale, shift);
    }

    /// <summary>
    /// y = x * scale + shift per channel of input <paramref name="inputIndex"/>: folded into its producer when that is
    /// possible, otherwise a <see cref="ScaleShiftLayer"/>.
    /// </summary>
    public static void ApplyAffine(OnnxNode node, ImportContext context, int inputIndex, float[] scale, float[] shift)
    {
        string input = context.LayerInput(node, inputIndex);
        int[] shape = context.ShapeOf(input);
        Layer? producer = context.SoleReaderOf(node, inputIndex);
        if (producer is not null && Fold(producer, scale, shift) is Layer folded)
        {
            context.ReplaceLayer(node, producer, folded);
            return;
        }
        context.AddLayer(node, name =>
        {
            var layer = new ScaleShiftLayer(name, input, shape[0], shape.Length);
            layer.SetParameter("weight", new ParameterTensor(new[] { shape[0] }, scale));
            layer.SetParameter("bias", new ParameterTensor(new[] { shape[0] }, shift));
            return layer;
        });
    }

    /// <summary>
    /// The constant's value for each channel of a [N, <paramref name="shape"/>] tensor: a scalar, or a tensor that
    /// numpy-broadcasting aligns with the channel axis only ([C,1,1] or [1,C,1,1] for maps, [C] or [1,C] for vectors).
    /// </summary>
    private static float[] PerChannel(OnnxNode node, ConstantTensor constant, int index, int[] shape)
    {
        if (!constant.IsFloat) throw node.Unsupported($"the constant input {index} is {constant}; only FLOAT constants are supported.");
        int channels = shape[0], rank = shape.Length + 1; // with the batch axis
        if (constant.Rank <= rank)
        {
            if (constant.Count == 1) return Enumerable.Repeat(constant.Floats[0], channels).ToArray();
            long[] aligned = Enumerable.Repeat(1L, rank - constant.Rank).Concat(constant.Shape).ToArray();
            if (aligned[1] == channels && aligned.Where((_, axis) => axis != 1).All(d => d == 1))
                return (float[])constant.Floats.Clone();
        }
        string forms = shape.Length == 3 ? $"[{channels},1,1] or [1,{channels},1,1]" : $"[{channels}] or [1,{channels}]";
        throw node.Unsupported(
            $"the constant input {index} is {constant}, which is neither a scalar nor one value per channel of its run-time input [N,{string.Join(",", shape)}] ({forms}).");
    }

    /// <summary>y = x * scale + shift for each op and side of the constant.</summary>
    private static (float[] Scale, float[] Shift) Affine(OnnxNode node, ArithmeticOp op, float[] c, bool constantLeft)
    {
        float[] ones = Enumerable.Repeat(1f, c.Length).ToArray(), zeros = new float[c.Length];
        switch (op)
        {
            case ArithmeticOp.Add: return (ones, c);
            case ArithmeticOp.Sub when constantLeft: return (Enumerable.Repeat(-1f, c.Length).ToArray(), c);
            case ArithmeticOp.Sub: return (ones, c.Select(v => -v).ToArray());
            case ArithmeticOp.Mul: return (c, zeros);
            default:
                if (c.Any(v => v == 0)) throw node.Unsupported("it divides by a constant that holds zeros.");
                return (c.Select(v => 1 / v).ToArray(), zeros);
        }
    }

    /// <summary>
    /// <paramref name="producer"/> with y = x * scale + shift applied to its output channels, or null when its kind
    /// does not take it. The weight rows (BatchNorm/ScaleShift: the per-channel weight) are scaled; the bias becomes
    /// bias * scale + shift, a bias being added where the layer had none and the shift is not zero.
    /// </summary>
    private static Layer? Fold(Layer producer, float[] scale, float[] shift)
    {
        if (producer is not (IWeightedLayer or BatchNorm2dLayer or ScaleShiftLayer) || !producer.Parameters.ContainsKey("weight")) return null;
        bool needsBias = !producer.ParameterNames.Contains("bias") && shift.Any(v => v != 0);
        Layer folded = needsBias ? ((IWeightedLayer)producer).WithBias() : producer.WithInputs(producer.Inputs);
        foreach (string name in folded.ParameterNames)
        {
            int[] parameterShape = folded.ParameterShape(name);
            ParameterTensor? value = producer.Parameters.GetValueOrDefault(name);
            if (value is null && name != "bias") return null;
            float[] data = value is null ? new float[scale.Length] : (float[])value.Data.Clone();
            int block = data.Length / scale.Length; // values per output channel (a weight row, or one)
            if (name is "weight" or "bias")
                for (int i = 0; i < data.Length; i++)
                    data[i] = name == "weight" ? data[i] * scale[i / block] : data[i] * scale[i] + shift[i];
            folded.SetParameter(name, new ParameterTensor(parameterShape, data));
        }
        return folded;
    }
}
