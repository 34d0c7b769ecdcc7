using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.Compression.Compressed;
using Microsoft.ML.Compression.Datasets;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Onnx;
using Microsoft.ML.Compression.Onnx.Proto;
using Microsoft.ML.Compression.Pruning;
using Microsoft.ML.Compression.Quantization;
using Microsoft.ML.Compression.Tests.Onnx;
using Microsoft.ML.Compression.Zoo;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using DataType = Microsoft.ML.Compression.Onnx.Proto.TensorProto.Types.DataType;

namespace Microsoft.ML.Compression.Tests.Quantization;

/// <summary>
/// What an int8 QDQ file spends its bytes on besides the int8 weights: scales, zero points, biases, names. Random
/// ResNet-20 weights calibrated on a few MNIST rows are enough; the sizes do not depend on training.
/// </summary>
[TestClass]
public class QdqOverheadTests
{
    private static NetworkGraph Float() => TestWeights.FillRandom(NetworkZoo.ResNet20(), seed: 5);

    internal static CompressedNetwork Int8(NetworkGraph net) =>
        Calibration.Quantize(net, TestData.MnistArrays(MnistSplit.Train, 64), CalibrationMethod.MinMax, 99.99, null, "KeepFloatLayers", () => { }, batchSize: 64);

    internal static NetworkGraph PrunedHalf(NetworkGraph net)
    {
        var deps = new ChannelDependencies(net);
        return ChannelPruner.Prune(deps, ChannelSelection.PerGroup(deps, ChannelImportance.FilterL1(deps), 0.5));
    }

    [TestMethod]
    public void ReportsWhereTheBytesOfInt8ResNet20Go()
    {
        NetworkGraph net = Float();
        long fp32 = OnnxExporter.Export(net).Length;
        foreach (var (what, q) in new[] { ("int8", Int8(net)), ("pruned 0.5 + int8", Int8(PrunedHalf(Float()))) })
        {
            byte[] bytes = OnnxExporter.Export(q);
            Console.WriteLine($"ResNet-20 {what}: {bytes.Length} bytes = {(double)bytes.Length / fp32:F4} of fp32 ({fp32} bytes)");
            foreach (var (kind, size) in Breakdown(ModelProto.Parser.ParseFrom(bytes)))
                Console.WriteLine($"  {kind,-28} {size,8}");
        }
    }

    /// <summary>Bytes by role: each initializer counted once by the first Q/DQ slot that reads it, and the names.</summary>
    internal static SortedDictionary<string, long> Breakdown(ModelProto model)
    {
        var result = new SortedDictionary<string, long>(StringComparer.Ordinal);
        void Add(string kind, long bytes) => result[kind] = result.GetValueOrDefault(kind) + bytes;
        var role = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (NodeProto node in model.Graph.Node)
            for (int i = 0; i < node.Input.Count; i++)
                if (node.OpType is "QuantizeLinear" or "DequantizeLinear")
                    role.TryAdd(node.Input[i], i switch { 0 => "values", 1 => "scale", _ => "zero point" });
        foreach (TensorProto t in model.Graph.Initializer)
        {
            string r = role.GetValueOrDefault(t.Name, "other");
            Add($"init {r} {(DataType)t.DataType}", t.RawData.Length + t.FloatData.Count * 4);
        }
        Add("names: nodes", model.Graph.Node.Sum(n => (long)n.Name.Length));
        Add("names: tensors (node I/O)", model.Graph.Node.Sum(n => n.Input.Sum(s => (long)s.Length) + n.Output.Sum(s => (long)s.Length)));
        Add("names: initializers", model.Graph.Initializer.Sum(t => (long)t.Name.Length));
        Add("count: nodes", model.Graph.Node.Count);
        Add("count: initializers", model.Graph.Initializer.Count);
        Add("metadata + doc", model.MetadataProps.Sum(m => (long)m.Key.Length + m.Value.Length) + model.DocString.Length);
        return result;
    }
}
