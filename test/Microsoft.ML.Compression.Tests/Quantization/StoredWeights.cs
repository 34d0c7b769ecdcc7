using System.Linq;
using Microsoft.ML.Compression.Onnx.Proto;

namespace Microsoft.ML.Compression.Tests.Quantization;

/// <summary>
/// Finds a layer's stored weights in an exported model by the graph, not by tensor names (the exporter gives the
/// quantization tensors short numbered names): from the layer's node (named after the layer) back along the weight
/// input and then each decoding node's first input, to the initializer or Constant that holds the stored values.
/// </summary>
internal static class StoredWeights
{
    /// <summary>The tensor holding the stored weights of <paramref name="layer"/>.</summary>
    public static TensorProto Of(ModelProto model, string layer)
    {
        GraphProto g = model.Graph;
        string tensor = g.Node.Single(n => n.Name == layer).Input[1];
        while (true)
        {
            if (g.Initializer.FirstOrDefault(t => t.Name == tensor) is TensorProto stored) return stored;
            NodeProto producer = g.Node.Single(n => n.Output.Contains(tensor));
            if (producer.OpType == "Constant") return producer.Attribute.Single().T;
            tensor = producer.Input[0];
        }
    }

    /// <summary>The tensor holding the stored bias of <paramref name="layer"/> (behind its DequantizeLinear when it is int32).</summary>
    public static TensorProto BiasOf(ModelProto model, string layer)
    {
        GraphProto g = model.Graph;
        string tensor = g.Node.Single(n => n.Name == layer).Input[2];
        NodeProto? producer = g.Node.SingleOrDefault(n => n.Output.Contains(tensor));
        if (producer is not null) tensor = producer.Input[0];
        return g.Initializer.Single(t => t.Name == tensor);
    }
}
