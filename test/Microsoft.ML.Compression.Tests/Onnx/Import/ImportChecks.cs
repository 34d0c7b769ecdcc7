using System;
using System.Collections.Generic;
using System.Linq;
using Google.Protobuf;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Onnx.Proto;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;

namespace Microsoft.ML.Compression.Tests.Onnx.Import;

/// <summary>Comparisons the import tests share.</summary>
internal static class ImportChecks
{
    /// <summary>
    /// <paramref name="expected"/> with its dropout layers removed (their readers read the dropout's input): what an
    /// exported file still describes.
    /// </summary>
    public static NetworkGraph WithoutDropout(NetworkGraph expected)
    {
        var skip = expected.Layers.OfType<DropoutLayer>().ToDictionary(l => l.Name, l => l.Inputs[0]);
        string Source(string name) => skip.TryGetValue(name, out string? input) ? Source(input) : name;
        var layers = new List<Layer>();
        foreach (Layer layer in expected.Layers.Where(l => l is not DropoutLayer))
        {
            Layer copy = layer.WithInputs(layer.Inputs.Select(Source).ToArray());
            foreach (var (name, value) in layer.Parameters) copy.SetParameter(name, value);
            layers.Add(copy);
        }
        return new NetworkGraph(expected.Name, expected.InputShape, layers);
    }

    /// <summary>Same name, input shape, and layers in order with the same names, kinds, inputs, settings and parameter shapes.</summary>
    public static void AssertSameStructure(NetworkGraph expected, NetworkGraph actual)
    {
        Assert.AreEqual(expected.Name, actual.Name);
        CollectionAssert.AreEqual(expected.InputShape, actual.InputShape);
        CollectionAssert.AreEqual(expected.Layers.Select(Describe).ToArray(), actual.Layers.Select(Describe).ToArray());
        Assert.AreEqual(expected.ParameterCount, actual.ParameterCount);
    }

    /// <summary>Every parameter of <paramref name="actual"/> equals <paramref name="expected"/>(layer, parameter) bit for bit.</summary>
    public static void AssertParameters(NetworkGraph actual, Func<string, string, float[]> expected)
    {
        foreach (Layer layer in actual.Layers)
            foreach (string p in layer.ParameterNames)
                CollectionAssert.AreEqual(expected(layer.Name, p), layer.Parameters[p].Data, $"{layer.Name}.{p}");
    }

    /// <summary>
    /// The model without its QuantizeLinear -> DequantizeLinear pairs on activations (tensors computed from the graph
    /// input): the same model with activation quantization absent, for ONNX Runtime to score.
    /// </summary>
    public static byte[] WithoutActivationQdq(byte[] bytes)
    {
        ModelProto model = ModelProto.Parser.ParseFrom(bytes);
        GraphProto graph = model.Graph;
        var runtime = new HashSet<string>(graph.Input.Select(i => i.Name).Except(graph.Initializer.Select(t => t.Name)));
        foreach (NodeProto node in graph.Node)
            if (node.Input.Any(runtime.Contains)) runtime.UnionWith(node.Output);

        var replaced = new Dictionary<string, string>(); // DequantizeLinear output -> the float tensor before QuantizeLinear
        var removed = new HashSet<NodeProto>();
        foreach (NodeProto q in graph.Node.Where(n => n.OpType == "QuantizeLinear" && runtime.Contains(n.Input[0])))
        {
            removed.Add(q);
            foreach (NodeProto dq in graph.Node.Where(n => n.OpType == "DequantizeLinear" && n.Input[0] == q.Output[0]))
            {
                removed.Add(dq);
                replaced[dq.Output[0]] = q.Input[0];
            }
        }
        var kept = graph.Node.Where(n => !removed.Contains(n)).ToList();
        foreach (NodeProto node in kept)
            for (int i = 0; i < node.Input.Count; i++)
                if (replaced.TryGetValue(node.Input[i], out string? source)) node.Input[i] = source;
        graph.Node.Clear();
        graph.Node.AddRange(kept);
        return model.ToByteArray();
    }

    private static string Describe(Layer layer)
    {
        string settings = layer switch
        {
            Conv2dLayer c => $"in {c.InChannels} out {c.OutChannels} {c.Window} g {c.Groups} bias {c.HasBias}",
            LinearLayer l => $"in {l.InFeatures} out {l.OutFeatures} bias {l.HasBias}",
            BatchNorm2dLayer b => $"c {b.Channels} eps {b.Epsilon} momentum {b.Momentum}",
            WindowPoolLayer p => $"{p.Window}" + (p is AvgPool2dLayer { CountIncludePad: true } ? " count pads" : ""),
            DropoutLayer d => $"p {d.Probability}",
            LeakyReLULayer l => $"alpha {l.Alpha}",
            HardSigmoidLayer h => $"alpha {h.Alpha} beta {h.Beta}",
            ScaleShiftLayer a => $"c {a.Channels} rank {a.Rank}",
            PadLayer p => $"{p.Mode} {p.Top} {p.Left} {p.Bottom} {p.Right} value {p.Value}",
            _ => "",
        };
        string parameters = string.Join(" ", layer.ParameterNames.Select(p => p + Layer.Format(layer.ParameterShape(p))));
        return $"{layer} {settings} {parameters}";
    }
}
