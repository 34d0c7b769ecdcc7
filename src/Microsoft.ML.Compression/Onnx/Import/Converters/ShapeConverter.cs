using DataType = Microsoft.ML.Compression.Onnx.Proto.TensorProto.Types.DataType;

namespace Microsoft.ML.Compression.Onnx.Import.Converters;

/// <summary>
/// Shape of a run-time tensor -> an INT64 constant: the sizes are fixed, except the batch, which becomes
/// <see cref="BatchDimension.Marker"/>. This is how <c>x.view(x.size(0), -1)</c> exports; start/end (opset 15+) are honoured.
/// </summary>
[OnnxOp("Shape")]
internal sealed class ShapeConverter : IOpConverter
{
    public void Convert(OnnxNode node, ImportContext context)
    {
        ActivationValue value = context.Activation(node, 0, allowQuantized: true);
        long[] dims = value.Shape.Select(d => (long)d).Prepend(BatchDimension.Marker).ToArray();
        int rank = dims.Length;
        long start = Clamp(node.Int("start", 0), rank), end = Clamp(node.Int("end", rank), rank);
        long[] slice = dims.Skip((int)start).Take((int)Math.Max(0, end - start)).ToArray();
        context.SetConstant(node.Outputs[0], ConstantTensor.Integer(DataType.Int64, new long[] { slice.Length }, slice));
    }

    private static long Clamp(long axis, int rank) => Math.Clamp(axis < 0 ? axis + rank : axis, 0, rank);
}
