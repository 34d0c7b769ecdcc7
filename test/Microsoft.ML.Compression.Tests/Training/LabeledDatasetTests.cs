using System;
using System.IO;
using System.Linq;
using Microsoft.ML.Compression.Datasets;
using Microsoft.ML.Compression.Estimators;
using Microsoft.ML.Compression.Tests.Training.RowStorage;
using Microsoft.ML.Compression.Training;
using Microsoft.ML.Compression.Training.Augmentation;
using Microsoft.ML.Compression.Zoo;
using Microsoft.ML.Data;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Compression.Tests.Training;

[TestClass]
public class LabeledDatasetTests
{
    private sealed class Row
    {
        [VectorType(6)] public float[] Features { get; set; } = Array.Empty<float>();
        public uint Label { get; set; }
    }

    private sealed class Digit
    {
        [VectorType(784)] public float[] Features { get; set; } = Array.Empty<float>();
        public uint Label { get; set; }
    }

    // The row stores' mixed rows without their NaN/infinities, which LabeledDataset rejects when it reads them.
    private static readonly float[][] FiniteMixedRows =
        RowStoreTests.MixedRows.Select(r => r.Select(v => float.IsFinite(v) ? v : 1.5f).ToArray()).ToArray();

    private static IDataView MixedRows(MLContext ml) =>
        ml.Data.LoadFromEnumerable(FiniteMixedRows.Select((f, i) => new Row { Features = f, Label = (uint)(i % 3) }).ToList());

    [TestMethod]
    public void DiskAndMemoryHoldTheSameRows()
    {
        var ml = new MLContext(0);
        using LabeledDataset memory = LabeledDataset.Read(MixedRows(ml), "Features", "Label", 6, 3, caching: DataCaching.Memory);
        using LabeledDataset disk = LabeledDataset.Read(MixedRows(ml), "Features", "Label", 6, 3, caching: DataCaching.Disk);
        using LabeledDataset auto = LabeledDataset.Read(MixedRows(ml), "Features", "Label", 6, 3);
        Assert.AreEqual(DataCaching.Memory, memory.Storage);
        Assert.AreEqual(DataCaching.Disk, disk.Storage);
        Assert.AreEqual(DataCaching.Memory, auto.Storage, "a few rows stay in memory");
        CollectionAssert.AreEqual(memory.Labels, disk.Labels);
        int[] rows = { 3, 0, 6, 1, 5, 2, 4 };
        var a = new float[rows.Length * 6];
        var b = new float[rows.Length * 6];
        memory.ReadRows(rows, a);
        disk.ReadRows(rows, b);
        CollectionAssert.AreEqual(a.Select(BitConverter.SingleToInt32Bits).ToArray(), b.Select(BitConverter.SingleToInt32Bits).ToArray());
        CollectionAssert.AreEqual(FiniteMixedRows.SelectMany(r => r).Select(BitConverter.SingleToInt32Bits).ToArray(),
            disk.ReadRows(0, disk.Count).Select(BitConverter.SingleToInt32Bits).ToArray());
    }

    [TestMethod]
    public void LabelsOutOfRangeGiveTheSameMessageFromDisk()
    {
        var ml = new MLContext(0);
        var ex = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => LabeledDataset.Read(MixedRows(ml), "Features", "Label", 6, 2, caching: DataCaching.Disk));
        StringAssert.Contains(ex.Message, "holds class 2, but the network has 2 classes (expected 0..1)");
    }

    // Even rows as 0/1 pixels (stored as bytes on disk), odd rows as MNIST's 0..1 floats (stored as float32).
    private static IDataView MixedDigits(MLContext ml, int rows)
    {
        float[] x = TestData.MnistFeatures(MnistSplit.Train, rows);
        using LabeledDataset labels = TestData.MnistArrays(MnistSplit.Train, rows);
        return ml.Data.LoadFromEnumerable(Enumerable.Range(0, rows).Select(i => new Digit
        {
            Features = x.AsSpan(i * 784, 784).ToArray().Select(v => i % 2 == 0 ? MathF.Round(v) : v).ToArray(),
            Label = (uint)labels.Labels[i],
        }).ToList());
    }

    [TestMethod]
    public void DiskAndMemoryTrainIdenticalModels()
    {
        var ml = new MLContext(0);
        IDataView data = MixedDigits(ml, 512);
        byte[] Fit(DataCaching caching, ImageAugmentation? augmentation)
        {
            var options = new NetworkTrainer.Options { Epochs = 1, BatchSize = 64, Seed = 7, DataCache = caching, Augmentation = augmentation };
            using var model = ml.Transforms.Compression.Train(NetworkZoo.LeNet5(batchNorm: true), options).Fit(data, data);
            return model.OnnxModel;
        }
        byte[] plain = Fit(DataCaching.Memory, null);
        CollectionAssert.AreEqual(plain, Fit(DataCaching.Disk, null), "same weights from memory and disk");
        var augmentation = new ImageAugmentation { CropPadding = 2, HorizontalFlip = true };
        byte[] augmented = Fit(DataCaching.Memory, augmentation);
        CollectionAssert.AreEqual(augmented, Fit(DataCaching.Disk, augmentation), "same augmented weights from memory and disk");
        CollectionAssert.AreNotEqual(plain, augmented, "augmentation changed what was trained");
    }

    [TestMethod]
    public void FitDeletesTheRowsItCached()
    {
        if (!OperatingSystem.IsLinux()) Assert.Inconclusive("counts the process's open files through /proc");
        static int OpenCaches() => new DirectoryInfo("/proc/self/fd").GetFileSystemInfos()
            .Count(f => f.LinkTarget?.Contains("mlcompression-rows-", StringComparison.Ordinal) == true);
        var ml = new MLContext(0);
        IDataView data = MixedDigits(ml, 128);
        int before = OpenCaches();
        int during = -1;
        var options = new NetworkTrainer.Options { Epochs = 1, BatchSize = 64, Seed = 1, DataCache = DataCaching.Disk, OnEpoch = _ => during = OpenCaches() };
        using (var model = ml.Transforms.Compression.Train(NetworkZoo.LeNet5(), options).Fit(data, data)) { }
        Assert.AreEqual(before + 2, during, "training and validation rows were on disk during Fit");
        Assert.AreEqual(before, OpenCaches(), "the training and validation caches are closed (and so deleted) when Fit ends");
    }

    [TestMethod]
    public void PlanStepsKeepRowsWhereThePlanDoes()
    {
        var plan = new CompressionPlan.Options { DataCache = DataCaching.Disk };
        Assert.AreEqual(DataCaching.Disk, new NetworkTrainer.Options().WithColumnsOf(plan).DataCache, "a step left at Auto follows the plan");
        Assert.AreEqual(DataCaching.Memory, new NetworkTrainer.Options { DataCache = DataCaching.Memory }.WithColumnsOf(plan).DataCache, "a step's own choice stays");
    }

    [TestMethod]
    public void DataCacheIsValidated()
    {
        var ex = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new NetworkTrainer.Options { DataCache = (DataCaching)7 }.Validate());
        Assert.AreEqual("DataCache", ex.ParamName);
    }
}
