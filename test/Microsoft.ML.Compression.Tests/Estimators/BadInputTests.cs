using System;
using System.Linq;
using Microsoft.ML.Compression.Datasets;
using Microsoft.ML.Compression.Estimators;
using Microsoft.ML.Compression.Zoo;
using Microsoft.ML.Data;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Compression.Tests.Estimators;

/// <summary>Each bad input fails in Fit before any training, with a message naming the column and the expectation.</summary>
[TestClass]
public class BadInputTests
{
    private static readonly MLContext Ml = new(seed: 0);

    private static NetworkTrainer Trainer(string features = "Features", string label = "Label") =>
        Ml.Transforms.Compression.Train(NetworkZoo.LeNet5(), new NetworkTrainer.Options
        {
            FeatureColumnName = features, LabelColumnName = label, Epochs = 50,
            OnEpoch = _ => Assert.Fail("training must not start on bad input"),
        });

    private static IDataView Rows<T>(params T[] rows) where T : class => Ml.Data.LoadFromEnumerable(rows);

    [TestMethod]
    public void MissingColumnIsNamed()
    {
        IDataView data = TestData.Mnist(Ml, MnistSplit.Test, 10);
        var ex = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Trainer(features: "Image").Fit(data));
        StringAssert.Contains(ex.Message, "'Image'");
        StringAssert.Contains(ex.Message, "'Features'", "lists the columns present");
        var ex2 = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Trainer(label: "Digit").Fit(data));
        StringAssert.Contains(ex2.Message, "'Digit'");
    }

    [TestMethod]
    public void WrongFeatureTypeIsReported()
    {
        var ex = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Trainer().Fit(Rows(new DoubleRow())));
        StringAssert.Contains(ex.Message, "'Features'");
        StringAssert.Contains(ex.Message, "float[784]");
        var ex2 = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Trainer().Fit(Rows(new StringLabelRow())));
        StringAssert.Contains(ex2.Message, "'Label'");
        StringAssert.Contains(ex2.Message, "key type");
    }

    [TestMethod]
    public void WrongFeatureSizeIsReported()
    {
        var ex = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Trainer().Fit(Rows(new SmallRow())));
        StringAssert.Contains(ex.Message, "100 values");
        StringAssert.Contains(ex.Message, "784");
    }

    [TestMethod]
    public void LabelsOutsideTheClassCountAreReported()
    {
        var ex = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Trainer().Fit(Rows(new UIntRow { Label = 3 }, new UIntRow { Label = 12 })));
        StringAssert.Contains(ex.Message, "class 12");
        StringAssert.Contains(ex.Message, "10 classes");
        var key = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Trainer().Fit(Rows(new KeyRow20 { Label = 15 })));
        StringAssert.Contains(key.Message, "20 values");
    }

    [TestMethod]
    public void EmptyDataIsReported()
    {
        IDataView empty = Ml.Data.LoadFromEnumerable(Array.Empty<UIntRow>());
        var ex = Assert.ThrowsExactly<ArgumentException>(() => Trainer().Fit(empty));
        StringAssert.Contains(ex.Message, "no rows");
    }

    [TestMethod]
    public void BadOptionsFailWhenTheEstimatorIsMade()
    {
        var ex = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            Ml.Transforms.Compression.Train(NetworkZoo.LeNet5(), new NetworkTrainer.Options { BatchSize = 1 }));
        Assert.AreEqual("BatchSize", ex.ParamName);
    }

    private sealed class DoubleRow { [VectorType(784)] public double[] Features { get; set; } = new double[784]; public uint Label { get; set; } }
    private sealed class StringLabelRow { [VectorType(784)] public float[] Features { get; set; } = new float[784]; public string Label { get; set; } = "7"; }
    private sealed class SmallRow { [VectorType(100)] public float[] Features { get; set; } = new float[100]; public uint Label { get; set; } }
    private sealed class UIntRow { [VectorType(784)] public float[] Features { get; set; } = new float[784]; public uint Label { get; set; } }
    private sealed class KeyRow20 { [VectorType(784)] public float[] Features { get; set; } = new float[784]; [KeyType(20)] public uint Label { get; set; } }
}
