using Microsoft.ML.Compression.Graph;

namespace Microsoft.ML.Compression.Onnx.Import.Converters;

/// <summary>
/// Mul of two run-time tensors -> <see cref="MulLayer"/> (one shape, or a [C,H,W] map and a [C,1,1] gate as in
/// squeeze-and-excitation). x * HardSigmoid(x) with PyTorch's constants, which is how PyTorch writes Hardswish
/// below opset 14, becomes one <see cref="HardSwishLayer"/>. Mul by a constant is a scale (<see cref="ConstantArithmetic"/>).
/// </summary>
[OnnxOp("Mul")]
internal sealed class MulConverter : IOpConverter
{
    public void Convert(OnnxNode node, ImportContext context)
    {
        if (ConstantArithmetic.HasConstantInput(node, context))
        {
            ConstantArithmetic.Convert(node, context, ArithmeticOp.Mul);
            return;
        }
        string a = context.LayerInput(node, 0), b = context.LayerInput(node, 1);
        int[] sa = context.ShapeOf(a), sb = context.ShapeOf(b);
        if (!sa.SequenceEqual(sb) && !MulLayer.IsGate(sa, sb) && !MulLayer.IsGate(sb, sa))
            throw node.Unsupported(
                $"its inputs have shapes [N,{string.Join(",", sa)}] and [N,{string.Join(",", sb)}]; Mul of run-time tensors needs one shape, or a [N,C,H,W] map and a [N,C,1,1] gate.");
        for (int i = 0; i < 2; i++)
            if (context.SoleReaderOf(node, i) is HardSigmoidLayer { IsTorchHardsigmoid: true } gate && gate.Inputs[0] == (i == 0 ? b : a))
            {
                context.ReplaceLayer(node, gate, new HardSwishLayer(gate.Name, gate.Inputs[0]));
                return;
            }
        context.AddLayer(node, name => new MulLayer(name, a, b));
    }
}
