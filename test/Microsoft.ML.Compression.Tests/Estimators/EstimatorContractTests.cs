using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.ML.Compression.Estimators;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Zoo;
using Microsoft.ML.Data;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Compression.Tests.Estimators;

/// <summary>
/// ML.NET's estimator contract, checked for every estimator of the library: the promised schema is the delivered one,
/// a saved model loads back scoring identically and starts the next step, and PredictedLabel is ML.NET's scalar key.
/// </summary>
[TestClass]
public class EstimatorContractTests
{
    private static readonly Lazy<IDataView> Rows = new(() => TestModels.Ml.Data.TakeRows(TestModels.Train, 500));

    /// <summary>Every estimator of the library, named.</summary>
    public static IEnumerable<object[]> Estimators =>
        new[] { "train", "distill", "qat", "ste-w2", "ptq", "rtn-w4", "slb-w2", "slim", "l1", "scop", "plan" }.Select(n => new object[] { n });

    /// <summary>A quick (one epoch) configuration of the estimator <paramref name="name"/>, starting from the shared LeNet-5 with BatchNorm.</summary>
    internal static IEstimator<CompressedModelTransformer> Make(CompressionCatalog c, string name, Action<EstimatorOptions>? columns = null)
    {
        T With<T>(T options) where T : EstimatorOptions
        {
            columns?.Invoke(options);
            return options;
        }
        NetworkGraph start = TestModels.LeNetWithBatchNorm;
        return name switch
        {
            "train" => c.Train(NetworkZoo.LeNet5(batchNorm: true), With(new NetworkTrainer.Options { Epochs = 1 })),
            "distill" => c.Distill(NetworkZoo.LeNet5(), start, With(new Distiller.Options { Epochs = 1 })),
            "qat" => c.QuantizeAwareTraining(start, With(new QuantizeAwareTrainer.Options { Epochs = 1 })),
            "ste-w2" => c.QuantizeAwareTraining(start, With(new QuantizeAwareTrainer.Options { Epochs = 1, WeightBits = 2, ActivationBits = 32 })),
            "ptq" => c.PostTrainingQuantization(start, With(new PostTrainingQuantizer.Options { CalibrationSamples = 128 })),
            "rtn-w4" => c.PostTrainingQuantization(start, With(new PostTrainingQuantizer.Options { WeightBits = 4, ActivationBits = 32 })),
            "slb-w2" => c.Slb(start, With(new SlbQuantizer.Options { Epochs = 1, WeightBits = 2, BatchNormCalibrationRows = 256 })),
            "slim" => c.NetworkSlimming(start, With(new NetworkSlimming.Options { SparsityEpochs = 1, Epochs = 1 })),
            "l1" => c.L1NormPruning(start, With(new L1NormPruner.Options { Epochs = 1 })),
            "scop" => c.Scop(start, With(new ScopPruner.Options { Epochs = 1, KnockoffRows = 500 })),
            "plan" => c.Plan(start, With(new CompressionPlan.Options())).L1NormPruning(new L1NormPruner.Options { Epochs = 1 })
                .QuantizeAwareTraining(new QuantizeAwareTrainer.Options { Epochs = 1 }),
            _ => throw new ArgumentOutOfRangeException(nameof(name)),
        };
    }

    [TestMethod]
    [DynamicData(nameof(Estimators))]
    public void PromisedSchemaIsTheFittedModels(string name)
    {
        IEstimator<CompressedModelTransformer> estimator = Make(TestModels.Compression, name);
        SchemaShape promised = estimator.GetOutputSchema(MlNetInternals.ShapeOf(Rows.Value.Schema));
        using CompressedModelTransformer model = estimator.Fit(Rows.Value);
        SchemaAssert.SameShape(promised, model.GetOutputSchema(Rows.Value.Schema), name);
        DataViewSchema scored = model.Transform(Rows.Value).Schema;
        SchemaAssert.SameShape(promised, scored, name);
        Assert.AreEqual(10, ((VectorDataViewType)scored["Score"].Type).Size, "one probability per class");
        Assert.AreEqual(new KeyDataViewType(typeof(uint), 10), scored["PredictedLabel"].Type, "a scalar key with one value per class");
        Assert.AreEqual(10, ((VectorDataViewType)scored["PredictedLabel"].Annotations.Schema["KeyValues"].Type).Size, "the label's class names");
    }

    [TestMethod]
    public void OptionsNameEveryColumnReadAndWritten()
    {
        var ml = TestModels.Ml;
        IDataView renamed = ml.Transforms.CopyColumns("Pixels", "Features").Append(ml.Transforms.CopyColumns("Digit", "Label"))
            .Fit(TestModels.Train).Transform(TestModels.Train);
        foreach (string name in new[] { "train", "qat", "ptq", "l1", "plan" })
        {
            var estimator = Make(TestModels.Compression, name, o =>
            {
                o.FeatureColumnName = "Pixels";
                o.LabelColumnName = "Digit";
                o.ScoreColumnName = "Probabilities";
                o.PredictedLabelColumnName = "Class";
            });
            SchemaShape promised = estimator.GetOutputSchema(MlNetInternals.ShapeOf(renamed.Schema));
            using CompressedModelTransformer model = estimator.Fit(renamed);
            DataViewSchema scored = model.Transform(renamed).Schema;
            SchemaAssert.SameShape(promised, scored, name);
            Assert.IsNull(scored.GetColumnOrNull("Score"), $"{name}: the ONNX model's own Score column does not leak out");
            var metrics = ml.MulticlassClassification.Evaluate(model.Transform(renamed), "Digit", "Probabilities", "Class");
            Assert.IsTrue(metrics.MicroAccuracy > 0.5, $"{name}: {metrics.MicroAccuracy}");
        }
    }

    [TestMethod]
    public void LabelWithoutClassNamesGivesAKeyWithoutNames()
    {
        IDataView data = TestModels.Ml.Data.LoadFromEnumerable(TestModels.Ml.Data.CreateEnumerable<Digit>(Rows.Value, false)
            .Select(r => new IndexedDigit { Features = r.Features, Label = (int)r.Label - 1 }));
        var estimator = TestModels.Compression.Train(NetworkZoo.LeNet5(), epochs: 1);
        SchemaShape promised = estimator.GetOutputSchema(MlNetInternals.ShapeOf(data.Schema));
        using var model = estimator.Fit(data);
        DataViewSchema scored = model.Transform(data).Schema;
        SchemaAssert.SameShape(promised, scored, "int label");
        Assert.IsNull(scored["PredictedLabel"].Annotations.Schema.GetColumnOrNull("KeyValues"));
        var rows = TestModels.Ml.Data.CreateEnumerable<IndexPrediction>(model.Transform(data), false).Take(50).ToArray();
        foreach (var row in rows)
            Assert.AreEqual((uint)Array.IndexOf(row.Score, row.Score.Max()) + 1, row.PredictedLabel, "the key of the most probable class");
    }

    [TestMethod]
    public void PredictedLabelGivesTheClassNamesBack()
    {
        // Model Builder's shape: string labels mapped to a key (in order of appearance, not alphabetical), names back out.
        var ml = TestModels.Ml;
        string[] names = { "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine" };
        IDataView named = ml.Data.LoadFromEnumerable(ml.Data.CreateEnumerable<Digit>(TestModels.Train, false)
            .Select(r => new NamedDigit { Features = r.Features, Name = names[r.Label - 1] }));
        IDataView data = ml.Transforms.Conversion.MapValueToKey("Label", "Name").Fit(named).Transform(named);
        using var model = TestModels.Compression.Train(NetworkZoo.LeNet5(batchNorm: true), epochs: 2).Fit(data);
        IDataView scored = model.Transform(data);
        IDataView back = ml.Transforms.Conversion.MapKeyToValue("PredictedName", "PredictedLabel").Fit(scored).Transform(scored);
        VBuffer<ReadOnlyMemory<char>> keyValues = default;
        data.Schema["Label"].GetKeyValues(ref keyValues);
        string[] order = keyValues.DenseValues().Select(v => v.ToString()).ToArray();
        var rows = ml.Data.CreateEnumerable<NamedPrediction>(back, false).ToArray();
        foreach (var row in rows)
            Assert.AreEqual(order[Array.IndexOf(row.Score, row.Score.Max())], row.PredictedName, "the name of the most probable class");
        double accuracy = rows.Count(r => r.PredictedName == r.Name) / (double)rows.Length;
        Assert.IsTrue(accuracy > 0.8, $"names predicted right for {accuracy:P1} of the training rows");
        Assert.AreEqual(accuracy, ml.MulticlassClassification.Evaluate(scored).MicroAccuracy, 1e-9, "Evaluate agrees");
    }

    /// <summary>The fitted models whose save/load round trip is checked: one per kind of export.</summary>
    public static IEnumerable<object[]> Saved => new[] { "train", "qat", "slb-w2", "l1", "ptq" }.Select(n => new object[] { n });

    [TestMethod]
    [DynamicData(nameof(Saved))]
    public void SavedModelLoadsScoringIdenticallyAndStartsTheNextStep(string name)
    {
        using CompressedModelTransformer model = Make(TestModels.Compression, name).Fit(Rows.Value);
        string path = Path.Combine(Path.GetTempPath(), $"contract-{name}-{Guid.NewGuid():N}.zip");
        try
        {
            TestModels.Ml.Model.Save(model, Rows.Value.Schema, path);
            var other = new MLContext(seed: 1);
            ITransformer loaded = other.Model.Load(path, out _);
            try
            {
                Prediction[] before = Predictions(model), after = Predictions(loaded);
                for (int i = 0; i < before.Length; i++)
                {
                    CollectionAssert.AreEqual(before[i].Score, after[i].Score, $"{name}: row {i}");
                    Assert.AreEqual(before[i].PredictedLabel, after[i].PredictedLabel, $"{name}: row {i}");
                }

                // Read back, the network is the one the file computes: the exported weights (for an int8 model
                // BatchNorm folded into the convolutions), with activations in float.
                foreach (StartingPoint start in new[] { StartingPoint.FromModel(loaded), StartingPoint.FromFile(path) })
                {
                    NetworkGraph expected = model.Compressed.Graph;
                    CollectionAssert.AreEqual(expected.Layers.Select(l => $"{l.Name}:{l.Kind}").ToArray(), start.Network.Layers.Select(l => $"{l.Name}:{l.Kind}").ToArray());
                    foreach (Layer layer in expected.Layers)
                        foreach (var (parameter, value) in layer.Parameters)
                            CollectionAssert.AreEqual(value.Data, start.Network[layer.Name].Parameters[parameter].Data, $"{name}: {layer.Name}.{parameter}");
                }
                using var next = TestModels.Compression.PostTrainingQuantization(StartingPoint.FromModel(loaded), calibrationSamples: 128).Fit(Rows.Value);
                double previous = TestModels.Accuracy(model), now = TestModels.Accuracy(next);
                Assert.IsTrue(now >= previous - 0.03, $"{name}: int8 of the reloaded model {now} vs the saved model {previous}");
            }
            finally
            {
                (loaded as IDisposable)?.Dispose();
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void ReadingAModelThatIsNoneOfOursSaysWhy()
    {
        string path = Path.Combine(Path.GetTempPath(), $"not-a-model-{Guid.NewGuid():N}.zip");
        try
        {
            File.WriteAllBytes(path, new byte[] { (byte)'P', (byte)'K', 3, 4, 0, 0 });
            StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => StartingPoint.FromFile(path)).Message, "not an ML.NET model zip");
            File.WriteAllBytes(path, new byte[] { 1, 2, 3 });
            StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => StartingPoint.FromFile(path)).Message, "cannot be read back");
            Assert.ThrowsExactly<FileNotFoundException>(() => StartingPoint.FromFile(path + ".missing"));
            var unrelated = TestModels.Ml.Transforms.CopyColumns("Copy", "Features").Fit(Rows.Value);
            StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => StartingPoint.FromModel(unrelated)).Message, "0 ONNX models");
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static Prediction[] Predictions(ITransformer model) =>
        TestModels.Ml.Data.CreateEnumerable<Prediction>(model.Transform(TestModels.Ml.Data.TakeRows(TestModels.Test, 200)), reuseRowObject: false).ToArray();

    private sealed class Digit
    {
        [VectorType(784)] public float[] Features { get; set; } = Array.Empty<float>();
        [KeyType(10)] public uint Label { get; set; }
    }

    private sealed class IndexedDigit
    {
        [VectorType(784)] public float[] Features { get; set; } = Array.Empty<float>();
        public int Label { get; set; }
    }

    private sealed class NamedDigit
    {
        [VectorType(784)] public float[] Features { get; set; } = Array.Empty<float>();
        public string Name { get; set; } = "";
    }

    private sealed class Prediction
    {
        public float[] Score { get; set; } = Array.Empty<float>();
        public uint PredictedLabel { get; set; }
    }

    private sealed class IndexPrediction
    {
        public float[] Score { get; set; } = Array.Empty<float>();
        public uint PredictedLabel { get; set; }
    }

    private sealed class NamedPrediction
    {
        public string Name { get; set; } = "";
        public string PredictedName { get; set; } = "";
        public float[] Score { get; set; } = Array.Empty<float>();
    }
}
