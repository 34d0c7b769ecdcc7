using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text;
using Microsoft.ML.Compression.Datasets;
using Microsoft.ML.Compression.Estimators;
using Google.Protobuf;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Onnx.Import;
using Microsoft.ML.Compression.Onnx.Proto;
using Microsoft.ML.Compression.Quantization;
using Microsoft.ML.Compression.Training;
using Microsoft.ML.Compression.Tests.Fixtures;
using Microsoft.ML.Compression.Tests.Onnx.Import;
using Microsoft.ML.Compression.Zoo;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.SearchSpace;
using Microsoft.ML.Transforms.Image;
using SampleData;
using SkiaSharp;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Compression.Tests.Reliability;

/// <summary>
/// Every bad input answered clearly: one row per bad input, each asserting the exception type, that the message names
/// what is wrong (column, option or file), the value seen and what is expected, and that no training started. The
/// option rows are generated from the options classes' own search-space attributes, so a new option is covered
/// without touching this file. Data is a handful of rows, so every row fails in milliseconds.
/// </summary>
[TestClass]
public sealed class BadInputMatrixTests
{
    private const int Size = 784;

    /// <summary>One bad input: what to do, the exception expected, and what its message must contain.</summary>
    private sealed record Case(Type Expected, Action Act, params string[] MessageParts)
    {
        /// <summary>The expected <see cref="ArgumentException.ParamName"/>, when it says which option.</summary>
        public string? ParamName { get; init; }
    }

    private static readonly Lazy<IReadOnlyDictionary<string, Case>> DataCases = new(BuildDataCases);
    private static readonly Lazy<IReadOnlyDictionary<string, Case>> OptionCases = new(BuildOptionCases);
    private static readonly Lazy<IReadOnlyDictionary<string, Func<string, Case>>> FileCases = new(BuildFileCases);

    public static IEnumerable<object[]> DataRows => DataCases.Value.Keys.Select(k => new object[] { k });
    public static IEnumerable<object[]> OptionRows => OptionCases.Value.Keys.Select(k => new object[] { k });
    public static IEnumerable<object[]> FileRows => FileCases.Value.Keys.Select(k => new object[] { k });

    public static string CaseName(MethodInfo method, object[] data) => (string)data[0];

    [TestMethod]
    [DynamicData(nameof(DataRows), DynamicDataDisplayName = nameof(CaseName))]
    public void BadDataFailsBeforeTraining(string name) => Check(name, DataCases.Value[name]);

    [TestMethod]
    [DynamicData(nameof(OptionRows), DynamicDataDisplayName = nameof(CaseName))]
    public void OptionOutsideItsSearchSpaceFailsWhenValidated(string name) => Check(name, OptionCases.Value[name]);

    [TestMethod]
    [DynamicData(nameof(FileRows), DynamicDataDisplayName = nameof(CaseName))]
    public void BadFileIsNamed(string name)
    {
        string folder = Path.Combine(Path.GetTempPath(), "mlc-badinput-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            Check(name, FileCases.Value[name](folder));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>The generator found options to try: if this fails, the reflection no longer sees the attributes.</summary>
    [TestMethod]
    public void TheMatrixIsLargeAndCoversEveryOptionsClass()
    {
        Assert.IsGreaterThanOrEqualTo(60, DataCases.Value.Count + OptionCases.Value.Count + FileCases.Value.Count);
        foreach (Type type in OptionsTypes().Where(t => t.GetProperties().Any(p => p.IsDefined(typeof(RangeAttribute)) || p.IsDefined(typeof(ChoiceAttribute)))))
            Assert.IsTrue(OptionCases.Value.Keys.Any(k => k.StartsWith("option: " + Describe(type) + ".", StringComparison.Ordinal)), $"no option rows for {type}");
    }

    private static void Check(string name, Case c)
    {
        Exception? thrown = null;
        try
        {
            c.Act();
        }
        catch (Exception e)
        {
            thrown = e;
        }
        Assert.IsNotNull(thrown, $"{name}: nothing was thrown; expected {c.Expected.Name}.");
        Assert.AreEqual(c.Expected, thrown.GetType(), $"{name}: {thrown}");
        foreach (string part in c.MessageParts)
            StringAssert.Contains(thrown.Message, part, $"{name}: the message should name {part}");
        if (c.ParamName is not null)
            Assert.AreEqual(c.ParamName, ((ArgumentException)thrown).ParamName, $"{name}: {thrown.Message}");
    }

    // ---- data ----

    private static Action Fit<T>(T[] train, T[]? validation = null, Action<NetworkTrainer.Options>? configure = null) where T : class => () =>
    {
        var ml = new MLContext(seed: 0);
        var options = new NetworkTrainer.Options
        {
            Epochs = 50,
            OnEpoch = _ => Assert.Fail("training must not start on bad input"),
        };
        configure?.Invoke(options);
        IDataView? valid = validation is null ? null : ml.Data.LoadFromEnumerable(validation);
        ml.Transforms.Compression.Train(NetworkZoo.LeNet5(), options).Fit(ml.Data.LoadFromEnumerable(train), valid);
    };

    private static FloatRow Row(uint label = 0, int at = -1, float value = 0) => new() { Label = label, Features = Features(at, value) };

    private static float[] Features(int at = -1, float value = 0)
    {
        var f = new float[Size];
        if (at >= 0) f[at] = value;
        return f;
    }

    private static IReadOnlyDictionary<string, Case> BuildDataCases()
    {
        var cases = new Dictionary<string, Case>();
        void Add(string name, Case c) => cases.Add("data: " + name, c);
        var aoor = typeof(ArgumentOutOfRangeException);

        Add("features have 100 values, network needs 784", new(aoor, Fit(new[] { new SmallRow() }), "'Features'", "100 values", "784"));
        Add("features are double, not float", new(aoor, Fit(new[] { new DoubleRow() }), "'Features'", "Double", "float[784]"));
        Add("features are a variable-size vector", new(aoor, Fit(new[] { new VariableRow { Features = Features() } }), "'Features'", "variable", "784"));
        Add("features column missing", new(aoor, Fit(new[] { Row() }, configure: o => o.FeatureColumnName = "Image"), "'Image'", "'Features'"));
        foreach (var (label, value) in new[] { ("NaN", float.NaN), ("+Infinity", float.PositiveInfinity), ("-Infinity", float.NegativeInfinity) })
        {
            string shown = value.ToString(CultureInfo.InvariantCulture);
            Add($"features hold {label} in row 2", new(aoor, Fit(new[] { Row(), Row(1), Row(2, 300, value) }), "Row 2", "'Features'", shown, "index 300", "finite"));
            Add($"validation features hold {label}", new(aoor, Fit(new[] { Row(), Row(1) }, new[] { Row(0, 5, value) }), "Row 0", "'Features'", "validation data", shown, "finite"));
        }
        Add("label column missing", new(aoor, Fit(new[] { Row() }, configure: o => o.LabelColumnName = "Digit"), "'Digit'", "'Label'"));
        Add("label is float 2.5", new(aoor, Fit(new[] { new SingleLabelRow { Label = 1 }, new SingleLabelRow { Label = 2.5f } }), "Row 1", "'Label'", "2.5", "not an integer class index", "0..9"));
        Add("label is float NaN", new(aoor, Fit(new[] { new SingleLabelRow { Label = float.NaN } }), "Row 0", "'Label'", "NaN", "not an integer class index"));
        Add("label is float -1", new(aoor, Fit(new[] { new SingleLabelRow { Label = -1 } }), "Row 0", "'Label'", "class -1", "0..9"));
        Add("label is a string", new(aoor, Fit(new[] { new StringLabelRow() }), "'Label'", "String", "key type"));
        Add("label is a vector", new(aoor, Fit(new[] { new VectorLabelRow() }), "'Label'", "key type"));
        Add("label is double", new(aoor, Fit(new[] { new DoubleLabelRow() }), "'Label'", "Double", "key type"));
        Add("label is int -3", new(aoor, Fit(new[] { new IntLabelRow { Label = 0 }, new IntLabelRow { Label = -3 } }), "Row 1", "'Label'", "class -3", "0..9"));
        Add("label is long -3", new(aoor, Fit(new[] { new LongLabelRow { Label = -3 } }), "Row 0", "'Label'", "class -1", "0..9"));
        Add("label 12 of 10 classes", new(aoor, Fit(new[] { Row(3), Row(12) }), "Row 1", "'Label'", "class 12", "10 classes", "0..9"));
        Add("label 10 of 10 classes", new(aoor, Fit(new[] { Row(10) }), "'Label'", "class 10", "0..9"));
        Add("label in validation data out of range", new(aoor, Fit(new[] { Row(1) }, new[] { Row(11) }), "'Label'", "class 11", "0..9"));
        Add("key label with 20 values", new(aoor, Fit(new[] { new KeyRow20 { Label = 15 } }), "'Label'", "20 values", "10 output classes"));
        Add("training data empty", new(typeof(ArgumentException), Fit(Array.Empty<FloatRow>()), "no rows", "'Features'", "'Label'"));
        Add("validation data empty", new(typeof(ArgumentException), Fit(new[] { Row(), Row(1) }, Array.Empty<FloatRow>()), "validation data has no rows", "'Label'"));
        Add("one training row for a BatchNorm network", new(typeof(ArgumentException), () =>
        {
            var ml = new MLContext(seed: 0);
            var options = new NetworkTrainer.Options { Epochs = 2, OnEpoch = _ => Assert.Fail("training must not start on bad input") };
            ml.Transforms.Compression.Train(NetworkZoo.LeNet5(batchNorm: true), options).Fit(ml.Data.LoadFromEnumerable(new[] { Row(1) }));
        }, "training data has 1 row", "'bn1'", "at least 2 rows") { ParamName = "trainData" });
        Add("batch size 0", new(aoor, Fit(new[] { Row() }, configure: o => o.BatchSize = 0), "BatchSize") { ParamName = "BatchSize" });
        foreach (var (label, value) in new[] { ("NaN", float.NaN), ("+Infinity", float.PositiveInfinity) })
            cases.Add($"calibration: activation range ends in {label}", new(typeof(ArgumentException),
                () => QuantParams.FromRange(-1f, value, "conv2.output"), "'conv2.output'", value.ToString(CultureInfo.InvariantCulture), "finite"));
        cases.Add("calibration: BatchNorm recalibration on one row", new(typeof(ArgumentException), () =>
        {
            var ml = new MLContext(0);
            using LabeledDataset one = LabeledDataset.Read(ml.Data.LoadFromEnumerable(new[] { Row(4) }), "Features", "Label", Size, 10);
            using var module = new GraphModule(NetworkZoo.LeNet5(batchNorm: true)); // untrained: only the refusal matters
            BatchNormCalibration.Recalibrate(module, one, rows: 100);
        }, "at least 2 rows", "has 1", "'bn1'", "left as trained") { ParamName = "data" });
        return cases;
    }

    /// <summary>A valid model in an opset the importer does not read: Inspect reports it among the problems, it does not throw.</summary>
    [TestMethod]
    public void InspectReportsAnUnsupportedOpsetInsteadOfThrowing()
    {
        string folder = Path.Combine(Path.GetTempPath(), "mlc-badinput-" + Guid.NewGuid().ToString("N"));
        try
        {
            OnnxImportReport report = OnnxImport.Inspect(Fixture(folder, "opset99.onnx", m => m.OpsetImport.Single(o => o.Domain == "").Version = 99));
            Assert.IsFalse(report.CanImport);
            Assert.AreEqual(99L, report.Opsets["ai.onnx"]);
            StringAssert.Contains(string.Join("\n", report.Problems), "opset 99");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Small but usable data trains: the first epoch is reached (and stopped there).</summary>
    [TestMethod]
    [DataRow("one training row", 1, 0, 64)]
    [DataRow("one validation row", 2, 1, 64)]
    [DataRow("batch size 64 above the 3 rows", 3, 0, 64)]
    [DataRow("batch size 8 above the 2 rows, one validation row", 2, 1, 8)]
    public void SmallDataStillTrains(string name, int trainRows, int validationRows, int batchSize)
    {
        var ml = new MLContext(seed: 0);
        var options = new NetworkTrainer.Options { Epochs = 2, BatchSize = batchSize, OnEpoch = m => throw new OperationCanceledException("epoch reached") };
        IDataView train = ml.Data.LoadFromEnumerable(Enumerable.Range(0, trainRows).Select(i => Row((uint)i)).ToArray());
        IDataView? validation = validationRows == 0 ? null : ml.Data.LoadFromEnumerable(Enumerable.Range(0, validationRows).Select(i => Row((uint)i)).ToArray());
        var stop = Assert.ThrowsExactly<OperationCanceledException>(() => ml.Transforms.Compression.Train(NetworkZoo.LeNet5(), options).Fit(train, validation), name);
        Assert.AreEqual("epoch reached", stop.Message, name);
    }

    /// <summary>The divergence message adds a hint about scaling when the features reach far beyond a few units.</summary>
    [TestMethod]
    public void DivergenceHintAppearsOnlyForUnscaledFeatures()
    {
        var ml = new MLContext(0);
        using LabeledDataset raw = LabeledDataset.Read(ml.Data.LoadFromEnumerable(new[] { Row(1, 10, 255f), Row(2, 3, -7f) }), "Features", "Label", Size, 10);
        StringAssert.Contains(raw.UnscaledHint(), "The features reach 255");
        StringAssert.Contains(raw.UnscaledHint(), "scale the features");
        using LabeledDataset scaled = LabeledDataset.Read(ml.Data.LoadFromEnumerable(new[] { Row(1, 10, 1f), Row(2, 3, -3f) }), "Features", "Label", Size, 10);
        Assert.AreEqual("", scaled.UnscaledHint());
    }

    /// <summary>One class and chance-level loss are legal: a warning in MLContext.Log naming them, not an error.</summary>
    [TestMethod]
    public void OneClassAndChanceLevelLossWarnInTheLog()
    {
        var ml = new MLContext(seed: 0);
        var warnings = new List<string>();
        ml.Log += (_, e) => { if (e.Kind == ChannelMessageKind.Warning) lock (warnings) warnings.Add(e.Message); };
        var options = new NetworkTrainer.Options
        {
            Epochs = 3, BatchSize = 2,
            OnEpoch = m => throw new OperationCanceledException($"stop after epoch {m.Epoch}"),
        };
        IDataView data = ml.Data.LoadFromEnumerable(new[] { Row(3), Row(3, 7, 1f) });
        var stop = Assert.ThrowsExactly<OperationCanceledException>(() => ml.Transforms.Compression.Train(NetworkZoo.LeNet5(), options).Fit(data));
        StringAssert.Contains(stop.Message, "epoch 1", "the warnings come before the user's callback");
        string all = string.Join("\n", warnings);
        StringAssert.Contains(all, "'Label' is class 3");
        StringAssert.Contains(all, "chance level (ln 10");
    }

    // ---- options, generated from [Range] and [Choice] ----

    private static IEnumerable<Type> OptionsTypes() =>
        typeof(EstimatorOptions).Assembly.GetExportedTypes()
            .Where(t => typeof(EstimatorOptions).IsAssignableFrom(t) && !t.IsAbstract && t.GetConstructor(Type.EmptyTypes) is not null)
            .OrderBy(Describe, StringComparer.Ordinal);

    private static string Describe(Type type) => type.DeclaringType is { } outer ? outer.Name + "." + type.Name : type.Name;

    private static IReadOnlyDictionary<string, Case> BuildOptionCases()
    {
        var cases = new Dictionary<string, Case>();
        foreach (Type type in OptionsTypes())
        {
            foreach (PropertyInfo property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
            {
                Type valueType = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
                foreach (CustomAttributeData attribute in property.CustomAttributes)
                {
                    foreach (var (bad, bound) in OutsideValues(attribute, valueType))
                    {
                        if (SweepRangeOnly.Contains(property.Name + ":" + bound)) continue;
                        string shown = Convert.ToString(bad, CultureInfo.InvariantCulture)!;
                        Type owner = type;
                        PropertyInfo target = property;
                        cases.TryAdd($"option: {Describe(type)}.{property.Name} = {shown} ({attribute.AttributeType.Name.Replace("Attribute", "")})",
                            new(typeof(ArgumentOutOfRangeException), () =>
                            {
                                var options = (EstimatorOptions)Activator.CreateInstance(owner)!;
                                options.Validate(); // the defaults are valid, so what fails below is the one value set
                                target.SetValue(options, bad);
                                options.Validate();
                            }, property.Name) { ParamName = property.Name });
                    }
                }
            }
        }
        return cases;
    }

    /// <summary>
    /// Bounds of a [Range] that is a tuning range only: the sweep stays where results are sensible, while Validate
    /// accepts anything that can run (e.g. 1,000 epochs, a batch of 4, a learning rate of 2). These rows are left
    /// out of the rejection matrix; <see cref="SweepRangeOnlyBoundsAreStillAccepted"/> pins that they are accepted,
    /// so narrowing Validate (or widening an attribute) updates this list on purpose.
    /// </summary>
    private static readonly HashSet<string> SweepRangeOnly = new(StringComparer.Ordinal)
    {
        "Epochs:max", "BatchSize:min", "BatchSize:max", "LearningRate:min", "LearningRate:max", "WeightDecay:max",
        "StepEpochs:max", "DistillationTemperature:min", "DistillationTemperature:max", "HintWeight:max",
        "BatchNormCalibrationRows:min", "BatchNormCalibrationRows:max", "CalibrationSamples:max", "ChannelMultiple:max",
        "ControlEpochs:max", "ControlLearningRate:min", "ControlLearningRate:max", "EmaDecay:min", "FreezeBatchNormAfter:max",
        "KnockoffRows:min", "KnockoffRows:max", "KnockoffShrinkage:max", "MinimumChannels:max", "Percentile:min",
        "QuantDelay:max", "Rounds:max", "Sparsity:min", "Sparsity:max", "SparsityEpochs:max", "TemperatureFactor:min",
        "TemperatureFactor:max", "TemperatureStart:min", "TemperatureStart:max",
    };

    [TestMethod]
    public void SweepRangeOnlyBoundsAreStillAccepted()
    {
        var seen = new HashSet<string>();
        foreach (Type type in OptionsTypes())
            foreach (PropertyInfo property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
                foreach (CustomAttributeData attribute in property.CustomAttributes)
                    foreach (var (bad, bound) in OutsideValues(attribute, Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType))
                    {
                        if (!SweepRangeOnly.Contains(property.Name + ":" + bound)) continue;
                        seen.Add(property.Name + ":" + bound);
                        var options = (EstimatorOptions)Activator.CreateInstance(type)!;
                        property.SetValue(options, bad);
                        options.Validate();
                    }
        CollectionAssert.AreEquivalent(SweepRangeOnly.ToArray(), seen.ToArray(), "every listed bound belongs to some option");
    }

    // Values just outside what the attribute allows: below the minimum and above the maximum of a [Range] (for a
    // log-scale range of positive doubles, half the minimum and twice the maximum), and for a [Choice] of numbers or
    // an enum, a value that is not among the choices.
    private static IEnumerable<(object Value, string Bound)> OutsideValues(CustomAttributeData attribute, Type valueType)
    {
        var args = attribute.ConstructorArguments;
        if (attribute.AttributeType == typeof(RangeAttribute))
        {
            double min = Convert.ToDouble(args[0].Value, CultureInfo.InvariantCulture);
            double max = Convert.ToDouble(args[1].Value, CultureInfo.InvariantCulture);
            bool log = args.Count > 3 && args[3].Value is true;
            if (valueType == typeof(int))
            {
                yield return ((int)min - 1, "min");
                yield return ((int)max + 1, "max");
            }
            else if (valueType == typeof(double) || valueType == typeof(float))
            {
                double below = log && min > 0 ? min / 2 : min - (max - min) * 0.1;
                double above = log ? max * 2 : max + (max - min) * 0.1;
                yield return (valueType == typeof(float) ? (float)below : below, "min");
                yield return (valueType == typeof(float) ? (float)above : above, "max");
            }
        }
        else if (attribute.AttributeType == typeof(ChoiceAttribute))
        {
            object[] choices = ((IEnumerable<CustomAttributeTypedArgument>)args[0].Value!).Select(a => a.Value!).ToArray();
            if (valueType.IsEnum)
                yield return (Enum.ToObject(valueType, 99), "choice");
            else if (valueType == typeof(int))
            {
                int[] values = choices.Select(c => Convert.ToInt32(c, CultureInfo.InvariantCulture)).ToArray();
                yield return (values.Min() - 1, "min");
                yield return (values.Max() + 1, "max");
                int gap = Enumerable.Range(values.Min(), values.Max() - values.Min()).FirstOrDefault(v => !values.Contains(v));
                if (gap > values.Min()) yield return (gap, "gap");
            }
        }
    }

    // ---- files ----

    private static IReadOnlyDictionary<string, Func<string, Case>> BuildFileCases()
    {
        var cases = new Dictionary<string, Func<string, Case>>();
        void Add(string name, Func<string, Case> c) => cases.Add("file: " + name, c);

        Add("ONNX truncated to half", folder =>
        {
            byte[] whole = File.ReadAllBytes(Path.Combine(OnnxFixtures.Folder, "lenet_bn_opset9.onnx"));
            string path = Write(folder, "half.onnx", whole[..(whole.Length / 2)]);
            return new(typeof(InvalidDataException), () => NetworkGraph.FromOnnx(path), path);
        });
        Add("ONNX that is text", folder =>
        {
            string path = Write(folder, "notes.onnx", Encoding.ASCII.GetBytes("this is not an ONNX model"));
            return new(typeof(InvalidDataException), () => NetworkGraph.FromOnnx(path), path, "not an ONNX model");
        });
        Add("ONNX with an unsupported op (Erf)", folder =>
        {
            string path = Write(folder, "erf.onnx", TinyModels.Classifier((b, image) => b.AddNode("Erf", new[] { image }, "my_erf")));
            return new(typeof(NotSupportedException), () => NetworkGraph.FromOnnx(path), path, "Erf node 'my_erf'", "Supported op types");
        });
        Add("ONNX with an unsupported op via StartingPoint.FromOnnx", folder =>
        {
            string path = Write(folder, "erf.onnx", TinyModels.Classifier((b, image) => b.AddNode("Erf", new[] { image }, "my_erf")));
            return new(typeof(ArgumentException), () => StartingPoint.FromOnnx(path), path, "'my_erf'");
        });
        Add("StartingPoint.FromFile with a corrupt zip", folder =>
        {
            string path = Write(folder, "model.zip", new byte[] { (byte)'P', (byte)'K', 3, 4, 9, 9, 9, 9, 1, 2, 3 });
            return new(typeof(ArgumentException), () => StartingPoint.FromFile(path), path);
        });
        Add("StartingPoint.FromFile with a truncated ONNX file", folder =>
        {
            byte[] whole = File.ReadAllBytes(Path.Combine(OnnxFixtures.Folder, "lenet_bn_opset9.onnx"));
            string path = Write(folder, "cut.onnx", whole[..(whole.Length / 3)]);
            return new(typeof(ArgumentException), () => StartingPoint.FromFile(path), path);
        });
        Add("IDX images with a label file's magic", folder =>
        {
            var (images, labels) = WriteIdx(folder, imageMagic: 0x801);
            return new(typeof(InvalidDataException), () => MnistIdx.Read(images, labels), images, "0x00000801");
        });
        Add("IDX labels with an image file's magic", folder =>
        {
            var (images, labels) = WriteIdx(folder, labelMagic: 0x803);
            return new(typeof(InvalidDataException), () => MnistIdx.Read(images, labels), labels);
        });
        Add("IDX header claims more images than the file holds", folder =>
        {
            var (images, labels) = WriteIdx(folder, imageCount: 5, labelCount: 5);
            return new(typeof(InvalidDataException), () => MnistIdx.Read(images, labels), images);
        });
        Add("IDX image and label counts disagree", folder =>
        {
            var (images, labels) = WriteIdx(folder, labelCount: 2);
            return new(typeof(InvalidDataException), () => MnistIdx.Read(images, labels), images, labels);
        });
        Add("image folder with a zero-byte image (Fail)", folder =>
        {
            string zero = Write(Path.Combine(folder, "red"), "zero.png", Array.Empty<byte>());
            var options = new ImageFolderOptions { InvalidFiles = InvalidImageHandling.Fail };
            return new(typeof(InvalidDataException), () => ImageFolder.Load(new MLContext(0), folder, options), zero, "empty");
        });
        Add("image folder with a text file named .png (Fail)", folder =>
        {
            string text = Write(Path.Combine(folder, "red"), "text.png", Encoding.ASCII.GetBytes("not a picture"));
            var options = new ImageFolderOptions { InvalidFiles = InvalidImageHandling.Fail };
            return new(typeof(InvalidDataException), () => ImageFolder.Load(new MLContext(0), folder, options), text);
        });
        Add("image folder with no usable image", folder =>
        {
            Write(Path.Combine(folder, "red"), "a.txt", Encoding.ASCII.GetBytes("x"));
            return new(typeof(InvalidDataException), () => ImageFolder.Load(new MLContext(0), folder), "No usable image", folder);
        });
        foreach (var (opset, entry) in new[] { (6L, "ImportOnnx"), (1L, "NetworkGraph.FromOnnx"), (99L, "ImportOnnx"), (99L, "StartingPoint.FromOnnx") })
            Add($"ONNX at opset {opset} via {entry}", folder =>
            {
                string path = Fixture(folder, $"opset{opset}.onnx", m => m.OpsetImport.Single(o => o.Domain == "").Version = opset);
                return Onnx(entry, path, $"opset {opset}", "opsets 7 to 26");
            });
        Add("ONNX with a com.microsoft op via ImportOnnx", folder =>
        {
            string path = Fixture(folder, "ms.onnx", m =>
            {
                m.Graph.Node.First(n => n.OpType == "Relu").Domain = "com.microsoft";
                m.OpsetImport.Add(new OperatorSetIdProto { Domain = "com.microsoft", Version = 1 });
            });
            return Onnx("ImportOnnx", path, "Relu", "domain 'com.microsoft'", "default ai.onnx domain only");
        });

        // Pixels whose channels are not the network's: named with the column, the shape seen and the one expected.
        Add("image: RGBA PNG extracted with alpha for a 3-channel network", folder =>
        {
            WriteRgba(Path.Combine(folder, "red", "a.png"), alpha: 128);
            WriteRgba(Path.Combine(folder, "blue", "b.png"), alpha: 255);
            var ml = new MLContext(0);
            var pixels = ml.Transforms.LoadImages("Image", null, ImageFolder.ImagePathColumn)
                .Append(ml.Transforms.ResizeImages("Image", Side, Side))
                .Append(ml.Transforms.ExtractPixels("Features", "Image", ImagePixelExtractingEstimator.ColorBits.Rgb | ImagePixelExtractingEstimator.ColorBits.Alpha));
            return new(typeof(ArgumentException), FitImages(ml, folder, pixels, 3), "'Features'", "[4,8,8]", "[3,8,8]", "3 channel(s)") { ParamName = "Features" };
        });
        Add("image: grayscale PNG extracted as one channel for a 3-channel network", folder =>
        {
            PngFiles.WriteGray(Path.Combine(folder, "red", "a.png"), Side, Side, new byte[Side * Side]);
            PngFiles.WriteGray(Path.Combine(folder, "blue", "b.png"), Side, Side, new byte[Side * Side]);
            var ml = new MLContext(0);
            return new(typeof(ArgumentException), FitImages(ml, folder, ImageFolder.PixelPipeline(ml, new ImageInput(1, Side, Side)), 3), "'Features'", "[1,8,8]", "[3,8,8]", "3 channel(s)") { ParamName = "Features" };
        });
        Add("image: RGB folder for a 1-channel network", folder =>
        {
            PngFiles.WriteRgb(Path.Combine(folder, "red", "a.png"), Side, Side, new byte[3 * Side * Side]);
            PngFiles.WriteRgb(Path.Combine(folder, "blue", "b.png"), Side, Side, new byte[3 * Side * Side]);
            var ml = new MLContext(0);
            return new(typeof(ArgumentException), FitImages(ml, folder, ImageFolder.PixelPipeline(ml, new ImageInput(3, Side, Side)), 1), "'Features'", "[3,8,8]", "[1,8,8]", "1 channel(s)") { ParamName = "Features" };
        });
        Add("image: pixel pipeline for 4 channels", folder => new(typeof(ArgumentOutOfRangeException),
            () => ImageFolder.PixelPipeline(new MLContext(0), new ImageInput(4, Side, Side)), "4", "1 (gray) or 3 (RGB)") { ParamName = "input" });
        return cases;
    }

    private const int Side = 8;

    // lenet_bn_opset9.onnx, edited through the project's own protobuf types and written to the folder.
    private static string Fixture(string folder, string name, Action<ModelProto> edit)
    {
        ModelProto model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(OnnxFixtures.Folder, "lenet_bn_opset9.onnx")));
        edit(model);
        return Write(folder, name, model.ToByteArray());
    }

    // The same refusal through each public entry point: StartingPoint turns it into an ArgumentException.
    private static Case Onnx(string entry, string path, params string[] parts) => entry switch
    {
        "ImportOnnx" => new(typeof(NotSupportedException), () => new MLContext(0).Transforms.Compression.ImportOnnx(path), parts.Prepend(path).ToArray()),
        "NetworkGraph.FromOnnx" => new(typeof(NotSupportedException), () => NetworkGraph.FromOnnx(path), parts.Prepend(path).ToArray()),
        _ => new(typeof(ArgumentException), () => StartingPoint.FromOnnx(path), parts.Prepend(path).ToArray()),
    };

    // The folder's images through `pixels` into a tiny network reading `channels` planes of Side x Side.
    private static Action FitImages(MLContext ml, string folder, IEstimator<ITransformer> pixels, int channels) => () =>
    {
        IDataView images = ImageFolder.Load(ml, folder).Data;
        var b = new NetworkBuilder("tiny", new ImageInput(channels, Side, Side));
        NetworkGraph net = b.Build(b.Linear(b.Flatten(b.GlobalAvgPool(b.Input)), 2));
        var options = new NetworkTrainer.Options
        {
            FeatureColumnName = "Features", LabelColumnName = ImageFolder.LabelColumn, Epochs = 2, Threads = 1,
            OnEpoch = _ => Assert.Fail("training must not start on bad input"),
        };
        ml.Transforms.Conversion.MapValueToKey(ImageFolder.LabelColumn).Append(pixels)
            .Append(ml.Transforms.Compression.Train(net, options)).Fit(images);
    };

    private static void WriteRgba(string path, byte alpha)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(Side, Side, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        bitmap.Erase(new SKColor(200, 100, 50, alpha));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using SKData data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, data.ToArray());
    }

    private static string Write(string folder, string name, byte[] bytes)
    {
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    // Three 2x3 images and their labels, with headers that may lie.
    private static (string Images, string Labels) WriteIdx(string folder, int imageMagic = 0x803, int labelMagic = 0x801, int imageCount = 3, int labelCount = 3)
    {
        byte[] images = Header(imageMagic, imageCount, 2, 3).Concat(new byte[3 * 6]).ToArray();
        byte[] labels = Header(labelMagic, labelCount).Concat(new byte[] { 7, 0, 9 }).ToArray();
        return (Write(folder, "train-images-idx3-ubyte", images), Write(folder, "train-labels-idx1-ubyte", labels));
    }

    private static byte[] Header(params int[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(i * 4), values[i]);
        return bytes;
    }

    private sealed class FloatRow { [VectorType(Size)] public float[] Features { get; set; } = new float[Size]; public uint Label { get; set; } }
    private sealed class SmallRow { [VectorType(100)] public float[] Features { get; set; } = new float[100]; public uint Label { get; set; } }
    private sealed class DoubleRow { [VectorType(Size)] public double[] Features { get; set; } = new double[Size]; public uint Label { get; set; } }
    private sealed class VariableRow { public float[] Features { get; set; } = Array.Empty<float>(); public uint Label { get; set; } }
    private sealed class SingleLabelRow { [VectorType(Size)] public float[] Features { get; set; } = new float[Size]; public float Label { get; set; } }
    private sealed class DoubleLabelRow { [VectorType(Size)] public float[] Features { get; set; } = new float[Size]; public double Label { get; set; } }
    private sealed class StringLabelRow { [VectorType(Size)] public float[] Features { get; set; } = new float[Size]; public string Label { get; set; } = "7"; }
    private sealed class VectorLabelRow { [VectorType(Size)] public float[] Features { get; set; } = new float[Size]; [VectorType(2)] public uint[] Label { get; set; } = new uint[2]; }
    private sealed class IntLabelRow { [VectorType(Size)] public float[] Features { get; set; } = new float[Size]; public int Label { get; set; } }
    private sealed class LongLabelRow { [VectorType(Size)] public float[] Features { get; set; } = new float[Size]; public long Label { get; set; } }
    private sealed class KeyRow20 { [VectorType(Size)] public float[] Features { get; set; } = new float[Size]; [KeyType(20)] public uint Label { get; set; } }
}
