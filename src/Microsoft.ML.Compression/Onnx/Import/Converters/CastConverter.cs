using DataType = Microsoft.ML.Compression.Onnx.Proto.TensorProto.Types.DataType;

namespace Microsoft.ML.Compression.Onnx.Import.Converters;

/// <summary>
/// Cast of a run-time tensor to FLOAT (tf2onnx writes such casts of float tensors): an identity, since every run-time
/// tensor the importer reads is float. Casts to other types are refused by name; casts of constants fold.
/// </summary>
[OnnxOp("Cast")]
internal sealed class CastConverter : IOpConverter
{
    public void Convert(OnnxNode node, ImportContext context)
    {
        ActivationValue value = context.Activation(node, 0);
        long to = node.Int("to", 0);
        if (to != (long)DataType.Float)
            throw node.Unsupported($"casting a run-time tensor to {ElementTypes.Name((int)to)} is not supported; only casts to FLOAT are.");
        context.SetOutput(node, 0, value);
    }
}
