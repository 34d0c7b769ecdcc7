using System;
using System.IO;
using System.Linq;
using Microsoft.ML.Compression.Analysis.Sensitivity;
using Microsoft.ML.Compression.Compressed;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Zoo;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Compression.Tests.Analysis;

/// <summary>
/// AnalyzeSensitivity on the trained test LeNet-5: every row is checked against a network compressed by hand (a copy
/// of the graph with one layer's weights replaced) and scored independently.
/// </summary>
[TestClass]
public class SensitivityTests
{
    private static readonly Lazy<SensitivityReport> LeNetReport = new(() =>
        TestModels.Compression.AnalyzeSensitivity(TestModels.LeNet, TestModels.Test, new SensitivityOptions { Threads = 1 }));

    [TestMethod]
    public void EveryLayerAndGroupIsMeasuredAtEverySetting()
    {
        SensitivityReport report = LeNetReport.Value;
        Assert.AreEqual(TestModels.Accuracy(TestModels.LeNet), report.BaselineAccuracy, 1e-9);
        Assert.AreEqual(TestModels.TestRows, report.ValidationRows);
        string[] weighted = { "conv1", "conv2", "fc1", "fc2", "fc3" };
        CollectionAssert.AreEqual(weighted, report.Rows.Where(r => r.Kind == "bits").Select(r => r.Target).Distinct().ToArray());
        // Convolution channels are the prunable groups (Linear units are not pruned by default).
        CollectionAssert.AreEqual(new[] { "conv1", "conv2" }, report.Rows.Where(r => r.Kind == "prune").Select(r => r.Target).Distinct().ToArray());
        Assert.AreEqual(weighted.Length * 4 + 2 * 3, report.Rows.Count);
        CollectionAssert.AreEqual(new[] { "8 bit", "4 bit", "2 bit", "1 bit", "prune 25%", "prune 50%", "prune 75%" }, report.Columns.ToArray());
        foreach (SensitivityRow row in report.Rows)
            Assert.AreEqual((report.BaselineAccuracy - row.Accuracy) * 100, row.Drop, 1e-9, row.ToString());
    }

    [TestMethod]
    public void WeightRowsEqualTheNetworkWithThatLayerRoundedByHand()
    {
        SensitivityReport report = LeNetReport.Value;
        foreach (var (layer, bits) in new[] { ("conv1", 1), ("conv2", 2), ("fc1", 8), ("fc3", 4) })
        {
            NetworkGraph copy = TestModels.LeNet.Clone();
            ParameterTensor w = copy[layer].Parameters["weight"];
            float[] rounded = bits == 8 ? Int8Weights.Quantize(w.Shape, w.Data).Decode() : LevelWeights.RoundToNearest(bits, w.Shape, w.Data).Decode();
            Array.Copy(rounded, w.Data, rounded.Length);
            double expected = TestModels.Accuracy(copy);
            SensitivityRow row = report.Rows.Single(r => r.Kind == "bits" && r.Target == layer && r.Setting == bits);
            Assert.AreEqual(expected, row.Accuracy, 1e-9, $"{layer} at {bits} bits");
        }
        // 8 bits costs almost nothing anywhere; one bit on the first convolution costs more than 8 bits there.
        Assert.IsTrue(report.Rows.Where(r => r.Setting == 8 && r.Kind == "bits").All(r => Math.Abs(r.Drop) < 1.0), report.ToString());
        Assert.IsTrue(Drop(report, "bits", "conv1", 1) > Drop(report, "bits", "conv1", 8), report.ToString());
    }

    [TestMethod]
    public void PruneRowsEqualTheNetworkWithTheSmallestFiltersZeroedByHand()
    {
        // LeNet-5 has no BatchNorm: masking a conv1 channel is zeroing its filter and bias.
        SensitivityReport report = LeNetReport.Value;
        NetworkGraph copy = TestModels.LeNet.Clone();
        ParameterTensor w = copy["conv1"].Parameters["weight"], b = copy["conv1"].Parameters["bias"];
        int size = w.Count / w.Shape[0];
        int[] byL1 = Enumerable.Range(0, w.Shape[0])
            .OrderBy(c => Enumerable.Range(c * size, size).Sum(i => Math.Abs((double)w.Data[i]))).ThenBy(c => c).ToArray();
        foreach (int channel in byL1.Take(3)) // 50% of 6
        {
            Array.Clear(w.Data, channel * size, size);
            b.Data[channel] = 0;
        }
        Assert.AreEqual(TestModels.Accuracy(copy), report.Rows.Single(r => r.Kind == "prune" && r.Target == "conv1" && r.Setting == 0.5).Accuracy, 1e-9);
        Assert.IsTrue(Drop(report, "prune", "conv2", 0.75) >= Drop(report, "prune", "conv2", 0.25) - 0.5, report.ToString());
    }

    [TestMethod]
    public void ReportWritesTableCsvAndHeatmap()
    {
        SensitivityReport report = LeNetReport.Value;
        string text = report.ToString();
        StringAssert.Contains(text, "conv2");
        StringAssert.Contains(text, "prune 75%");
        string[] csv = report.ToCsv().TrimEnd('\n').Split('\n');
        Assert.AreEqual("target,kind,setting,accuracy,drop_points", csv[0]);
        Assert.AreEqual(report.Rows.Count + 1, csv.Length);
        StringAssert.StartsWith(csv[1], "conv1,bits,8,");

        string folder = Path.Combine(Path.GetTempPath(), "sensitivity-" + Guid.NewGuid().ToString("N"));
        try
        {
            string png = Path.Combine(folder, "heatmap.png");
            report.SaveHeatmap(png, width: 640, height: 360);
            byte[] bytes = File.ReadAllBytes(png);
            CollectionAssert.AreEqual(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes.Take(4).ToArray());
            Assert.AreEqual(640, ReadBigEndian(bytes, 16), "IHDR width");
            Assert.AreEqual(360, ReadBigEndian(bytes, 20), "IHDR height");
            report.SaveCsv(Path.Combine(folder, "sensitivity.csv"));
            Assert.AreEqual(report.ToCsv(), File.ReadAllText(Path.Combine(folder, "sensitivity.csv")));
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void FewestBitsAndLargestRateReadTheTable()
    {
        SensitivityReport report = LeNetReport.Value;
        int? fewest = report.FewestBits("fc1", maxDropPoints: 100);
        Assert.AreEqual(1, fewest, "every width is within a 100-point drop");
        Assert.IsNull(report.FewestBits("fc1", maxDropPoints: -100));
        Assert.AreEqual(0.75, report.LargestPruneRate("conv2", maxDropPoints: 100));
        Assert.AreEqual(0, report.LargestPruneRate("conv2", maxDropPoints: -100));
    }

    [TestMethod]
    public void BadSettingsAndUntrainedNetworksAreRefusedByName()
    {
        var c = TestModels.Compression;
        var bits = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => c.AnalyzeSensitivity(TestModels.LeNet, TestModels.Test, new SensitivityOptions { WeightBits = new[] { 3 } }));
        Assert.AreEqual(nameof(SensitivityOptions.WeightBits), bits.ParamName);
        var rate = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => c.AnalyzeSensitivity(TestModels.LeNet, TestModels.Test, new SensitivityOptions { PruneRates = new[] { 1.0 } }));
        Assert.AreEqual(nameof(SensitivityOptions.PruneRates), rate.ParamName);
        var nothing = Assert.ThrowsExactly<ArgumentException>(() => c.AnalyzeSensitivity(TestModels.LeNet, TestModels.Test,
            new SensitivityOptions { WeightBits = Array.Empty<int>(), PruneRates = Array.Empty<double>() }));
        StringAssert.Contains(nothing.Message, "nothing to analyse");
        var untrained = Assert.ThrowsExactly<ArgumentException>(() => c.AnalyzeSensitivity(NetworkZoo.LeNet5(), TestModels.Test));
        StringAssert.Contains(untrained.Message, "no trained weights");
        var column = Assert.Throws<Exception>(() => c.AnalyzeSensitivity(TestModels.LeNet, TestModels.Test, "Pixels"));
        StringAssert.Contains(column.Message, "Pixels");
    }

    private static double Drop(SensitivityReport report, string kind, string target, double setting) =>
        report.Rows.Single(r => r.Kind == kind && r.Target == target && r.Setting == setting).Drop;

    private static int ReadBigEndian(byte[] bytes, int offset) =>
        bytes[offset] << 24 | bytes[offset + 1] << 16 | bytes[offset + 2] << 8 | bytes[offset + 3];
}
