using System;
using System.Collections.Generic;
using System.IO;
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
using Microsoft.ML.OnnxRuntime;
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

    /// <summary>
    /// The int8 file holds only what ONNX Runtime needs to fuse it: no all-zero zero points except the Gemm weight's
    /// (QGemm fusion wants it), no initializer stored twice (one scale and one zero point per activation grid, read by
    /// its QuantizeLinear and DequantizeLinear; bias scales computed from the weight and input scales), short names
    /// for the quantization tensors and no names on their nodes, no attribute at ONNX's default, the same bytes on
    /// every export. ORT still runs every
    /// convolution, the fc layer and the residual adds on integer kernels.
    /// </summary>
    [TestMethod]
    public void PrunedInt8ResNet20CarriesNoQdqScaffoldingOrtDoesNotNeed()
    {
        CompressedNetwork q = Int8(PrunedHalf(Float()));
        byte[] bytes = OnnxExporter.Export(q);
        CollectionAssert.AreEqual(bytes, OnnxExporter.Export(q), "the same network gives the same bytes");
        GraphProto g = ModelProto.Parser.ParseFrom(bytes).Graph;
        var initializers = g.Initializer.ToDictionary(t => t.Name);

        var zeroPoints = g.Node.Where(n => n.OpType == "DequantizeLinear" && n.Input.Count > 2).Select(n => initializers[n.Input[2]]).ToList();
        var signedZeros = zeroPoints.Where(t => t.DataType != (int)DataType.Uint8).Distinct().ToList();
        Assert.AreEqual(1, signedZeros.Count, "only the fc weight's int8 zero point is written");
        CollectionAssert.AreEqual(new long[] { 10 }, signedZeros[0].Dims.ToArray());
        Assert.IsFalse(g.Node.Any(n => n.OpType == "DequantizeLinear" && n.Input.Count > 2 && initializers.GetValueOrDefault(n.Input[0]) is { DataType: (int)DataType.Int32 }), "int32 biases have no zero point");

        var duplicates = g.Initializer.GroupBy(t => $"{t.DataType} [{string.Join(",", t.Dims)}] {Convert.ToBase64String(t.RawData.ToByteArray())}").Where(d => d.Count() > 1);
        Assert.IsFalse(duplicates.Any(), "stored twice: " + string.Join("; ", duplicates.Select(d => string.Join(",", d.Select(t => t.Name)))));
        foreach (NodeProto quantize in g.Node.Where(n => n.OpType == "QuantizeLinear"))
        {
            NodeProto dequantize = g.Node.Single(n => n.OpType == "DequantizeLinear" && n.Input[0] == quantize.Output[0]);
            CollectionAssert.AreEqual(quantize.Input.Skip(1).ToArray(), dequantize.Input.Skip(1).ToArray(), "a Q/DQ pair reads one scale and one zero point");
        }

        Assert.IsTrue(g.Node.Where(n => n.OpType is "QuantizeLinear" or "DequantizeLinear" or "Mul").All(n => n.Name.Length == 0), "quantization nodes are unnamed");
        Assert.IsTrue(g.Initializer.All(t => t.Name.Length <= 4 || t.Name == "input_shape"), string.Join(",", g.Initializer.Select(t => t.Name)));
        foreach (string layer in q.Weights.Keys)
            Assert.AreEqual(1, g.Node.Count(n => n.Name == layer), $"layer {layer} keeps its node name");

        // Convolutions write no attribute at ONNX's default and take kernel_shape from the weight; strided ones keep strides.
        var convolutions = g.Node.Where(n => n.OpType == "Conv").ToList();
        foreach (NodeProto conv in convolutions)
            foreach (AttributeProto a in conv.Attribute)
                Assert.IsTrue(a.Name switch
                {
                    "strides" => a.Ints.Any(v => v != 1),
                    "pads" => a.Ints.Any(v => v != 0),
                    _ => false,
                }, $"{conv.Name} writes {a.Name} [{string.Join(",", a.Ints)}]");
        Assert.AreEqual(4, convolutions.Count(c => c.Attribute.Any(a => a.Name == "strides")), "two stride-2 stages, each a 3x3 and a 1x1 downsample convolution");

        var ops = OptimizedOps(bytes);
        Assert.AreEqual(21, ops.GetValueOrDefault("QLinearConv"), string.Join(",", ops));
        Assert.AreEqual(1, ops.GetValueOrDefault("QGemm"), string.Join(",", ops));
        Assert.AreEqual(9, ops.GetValueOrDefault("QLinearAdd"), string.Join(",", ops));
        Assert.IsFalse(ops.Keys.Intersect(new[] { "Conv", "Gemm", "Add", "Mul", "DequantizeLinear" }).Any(), string.Join(",", ops));

        double ratio = (double)bytes.Length / OnnxExporter.Export(Float()).Length;
        Assert.IsTrue(ratio <= 0.08, $"pruned + int8 ResNet-20 is {ratio:F4} of fp32 bytes");
    }

    /// <summary>The operators of ONNX Runtime's optimized graph (extended level, as ML.NET and the int8 tests run it).</summary>
    internal static Dictionary<string, int> OptimizedOps(byte[] model)
    {
        string path = Path.Combine(Path.GetTempPath(), $"qdq-{Guid.NewGuid():N}.onnx");
        try
        {
            using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_EXTENDED, OptimizedModelFilePath = path, IntraOpNumThreads = 1 };
            using (new InferenceSession(model, options)) { }
            return ModelProto.Parser.ParseFrom(File.ReadAllBytes(path)).Graph.Node.GroupBy(n => n.OpType).ToDictionary(o => o.Key, o => o.Count());
        }
        finally
        {
            File.Delete(path);
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
        Add("serialized: nodes", model.Graph.Node.Sum(n => (long)n.CalculateSize()));
        Add("serialized: initializers less data", model.Graph.Initializer.Sum(t => (long)t.CalculateSize() - t.RawData.Length));
        Add("count: nodes", model.Graph.Node.Count);
        Add("count: initializers", model.Graph.Initializer.Count);
        Add("metadata + doc", model.MetadataProps.Sum(m => (long)m.Key.Length + m.Value.Length) + model.DocString.Length);
        return result;
    }
}
