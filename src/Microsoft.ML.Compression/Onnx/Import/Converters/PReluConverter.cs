using Microsoft.ML.Compression.Graph;

namespace Microsoft.ML.Compression.Onnx.Import.Converters;

/// <summary>
/// PRelu with a constant slope -> <see cref="PReLULayer"/>: one shared slope, or one per channel (stored [C,1,1] for
/// maps, [C] for vectors, as ONNX broadcasts from the right). Other slope shapes are refused by name.
/// </summary>
[OnnxOp("PRelu")]
internal sealed class PReluConverter : IOpConverter
{
    public void Convert(OnnxNode node, ImportContext context)
    {
        string input = context.LayerInput(node, 0);
        int[] shape = context.ShapeOf(input);
        ConstantTensor slope = context.Constant(node, 1);
        if (!slope.IsFloat) throw node.Unsupported($"the slope is {slope}; only FLOAT slopes are supported.");
        long[] aligned = slope.Shape.SkipWhile(d => d == 1).ToArray(); // leading 1s broadcast
        bool perChannel = slope.Count == shape[0] && shape[0] > 1 && slope.Shape.Length <= shape.Length + 1
            && Enumerable.Reverse(slope.Shape).Take(shape.Length - 1).All(d => d == 1) && aligned.FirstOrDefault() == shape[0];
        if (slope.Count != 1 && !perChannel)
            throw node.Unsupported($"the slope is {slope}; only a single slope or one per channel of its input [N,{string.Join(",", shape)}] is supported.");
        int count = slope.Count;
        float[] values = (float[])slope.Floats.Clone();
        context.AddLayer(node, name =>
        {
            var layer = new PReLULayer(name, input, count, shape.Length);
            layer.SetParameter("weight", new ParameterTensor(new[] { count }, values));
            return layer;
        });
    }
}
