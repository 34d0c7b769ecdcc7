using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.Compression.Estimators;
using Microsoft.ML.Compression.Quantization;
using Microsoft.ML.Compression.Sweeps;
using Microsoft.ML.SearchSpace;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Compression.Tests.Sweeps;

/// <summary>Search spaces: the unit-cube mapping, attribute reading, grids, configurations and validation.</summary>
[TestClass]
public class SweepSearchSpaceTests
{
    public enum Mode { Fast, Careful, Thorough }

    /// <summary>A small options class carrying ML.NET's search-space attributes.</summary>
    public sealed class TestOptions
    {
        [Range(1e-4, 1e-1, 1e-3, true)]
        public double LearningRate { get; set; } = 0.01;

        [Range(1, 64, false)]
        public int BatchSize { get; set; } = 16;

        [Range(0.0, 1.0, false)]
        public double Dropout { get; set; } = 2; // outside the range: the default falls back to the minimum

        [Choice(new object[] { Mode.Fast, Mode.Careful, Mode.Thorough }, Mode.Careful)]
        public Mode Strategy { get; set; }

        [Choice(new object[] { "sgd", "adam" })]
        public string Optimizer { get; set; } = "adam";

        [BooleanChoice(true)]
        public bool Shuffle { get; set; }

        [BooleanChoice]
        public bool Augment { get; set; }

        public int NotSwept { get; set; }

        [Range(0, 10, false)]
        public int ReadOnly { get; } = 3;
    }

    private static SweepSearchSpace MixedSpace() => new SweepSearchSpace()
        .AddRange("momentum", 0, 10, 5)
        .AddRange("lr", 1e-4, 1e-1, 1e-3, logBase: true)
        .AddIntRange("bits", 1, 8, 8)
        .AddIntRange("width", 1, 1023, 64, logBase: true)
        .AddChoice("mode", new object[] { Mode.Fast, Mode.Careful, Mode.Thorough }, Mode.Fast)
        .AddChoice("name", new object[] { "a", "b" }, "b")
        .AddChoice("scale", new object[] { 0.5, 1.0, 2.0 }, 1.0)
        .AddBoolean("fold", true);

    [TestMethod]
    public void UnitVectorsRoundTripEveryKindOfParameter()
    {
        SweepSearchSpace space = MixedSpace();
        var random = new Random(3);
        for (int i = 0; i < 200; i++)
        {
            double[] u = Enumerable.Range(0, space.Dimensions).Select(_ => random.NextDouble()).ToArray();
            SweepConfiguration c = space.FromUnit(u);
            double[] back = space.ToUnit(c);
            SweepConfiguration again = space.FromUnit(back);
            // Discrete values come back exactly; real ones to rounding (exp(log(x)) need not be x to the last bit).
            foreach (string name in new[] { "bits", "width", "mode", "name", "scale", "fold" })
                Assert.AreEqual(c[name], again[name], name);
            Assert.AreEqual(c.Get<double>("momentum"), again.Get<double>("momentum"), 1e-12);
            Assert.AreEqual(c.Get<double>("lr"), again.Get<double>("lr"), 1e-15 * c.Get<double>("lr") * 10);
            // Real ranges keep the coordinate itself.
            Assert.AreEqual(u[0], back[0], 1e-12);
            Assert.AreEqual(u[1], back[1], 1e-9);
        }
        SweepConfiguration defaults = space.Defaults();
        Assert.AreEqual("momentum=5;lr=0.001;bits=8;width=64;mode=Fast;name=b;scale=1;fold=true", defaults.Key);
        Assert.AreEqual(1e-3, space.FromUnit(space.ToUnit(defaults)).Get<double>("lr"), 1e-17);
    }

    [TestMethod]
    public void LogScalesMapEqualRatiosToEqualShares()
    {
        SweepParameter lr = new SweepSearchSpace().AddRange("lr", 1e-4, 1e-2, 1e-3, logBase: true).Parameters[0];
        Assert.AreEqual(0.5, lr.ToUnit(1e-3), 1e-12);        // log10: -4, -3, -2
        Assert.AreEqual(1e-3, (double)lr.FromUnit(0.5), 1e-15);
        Assert.AreEqual(Math.Pow(10, -4 + 2 * 0.25), (double)lr.FromUnit(0.25), 1e-15);
        SweepParameter linear = new SweepSearchSpace().AddRange("x", 0, 10, 0).Parameters[0];
        Assert.AreEqual(2.5, (double)linear.FromUnit(0.25), 1e-12);

        SweepParameter width = new SweepSearchSpace().AddIntRange("w", 1, 1023, 1, logBase: true).Parameters[0];
        Assert.AreEqual(45, width.FromUnit(0.55)); // floor(1024^0.55) = floor(45.25)
        Assert.AreEqual(1, width.FromUnit(0));
        Assert.AreEqual(1023, width.FromUnit(1));
        SweepParameter bits = new SweepSearchSpace().AddIntRange("b", 1, 8, 8).Parameters[0];
        // Eight equal bins of [0, 1].
        CollectionAssert.AreEqual(new object[] { 1, 1, 5, 8, 8 }, new[] { 0, 0.12, 0.5, 0.876, 1 }.Select(bits.FromUnit).ToArray());
        Assert.AreEqual((4 - 1 + 0.5) / 8, bits.ToUnit(4), 1e-12);
    }

    [TestMethod]
    public void InvalidValuesAndSpacesGiveErrorsNamingTheParameter()
    {
        SweepSearchSpace space = MixedSpace();
        var error = Assert.ThrowsExactly<ArgumentException>(() => space.Validate(space.Defaults().With("lr", 5.0)));
        StringAssert.Contains(error.Message, "'lr'");
        StringAssert.Contains(error.Message, "[0.0001, 0.1]");
        error = Assert.ThrowsExactly<ArgumentException>(() => space.Validate(space.Defaults().With("bits", 2.5)));
        StringAssert.Contains(error.Message, "'bits'");
        StringAssert.Contains(error.Message, "whole number");
        error = Assert.ThrowsExactly<ArgumentException>(() => space.Validate(space.Defaults().With("mode", "Slow")));
        StringAssert.Contains(error.Message, "Fast, Careful, Thorough");
        error = Assert.ThrowsExactly<ArgumentException>(() => space.Validate(space.Defaults().With("extra", 1)));
        StringAssert.Contains(error.Message, "'extra'");
        Assert.ThrowsExactly<ArgumentException>(() => new SweepSearchSpace().AddRange("lr", 0, 1, 0.5, logBase: true));
        Assert.ThrowsExactly<ArgumentException>(() => new SweepSearchSpace().AddRange("x", 0, 1, 2));
        Assert.ThrowsExactly<ArgumentException>(() => new SweepSearchSpace().AddIntRange("x", 0, 1, 0).AddBoolean("x", true));
        // Values given loosely are stored canonically: an int for a whole-number range, a candidate for a choice.
        SweepConfiguration loose = space.Validate(space.Defaults().With("bits", 4L).With("mode", "Careful").With("momentum", 3));
        Assert.AreEqual(4, loose.Get<int>("bits"));
        Assert.AreEqual(Mode.Careful, loose.Get<Mode>("mode"));
        Assert.AreEqual(3.0, loose.Get<double>("momentum"));
    }

    [TestMethod]
    public void ConfigurationsGiveClearErrorsAndRoundTripThroughJson()
    {
        SweepConfiguration c = SweepConfiguration.Of(("lr", 0.001), ("bits", 4), ("mode", Mode.Thorough), ("fold", false), ("name", "x;y"));
        var missing = Assert.ThrowsExactly<KeyNotFoundException>(() => c.Get<int>("epochs"));
        StringAssert.Contains(missing.Message, "'epochs'");
        var mistyped = Assert.ThrowsExactly<InvalidCastException>(() => c.Get<bool>("bits"));
        StringAssert.Contains(mistyped.Message, "'bits'");
        Assert.AreEqual(4.0, c.Get<double>("bits"));

        SweepConfiguration back = SweepConfiguration.FromJson(c.ToJson());
        Assert.AreEqual(c.Key, back.Key);
        Assert.IsInstanceOfType<int>(back["bits"]);
        Assert.IsInstanceOfType<double>(back["lr"]);
        Assert.AreEqual(Mode.Thorough, back["mode"]);
        Assert.IsInstanceOfType<bool>(back["fold"]);
        Assert.AreEqual("x;y", back["name"]);
        Assert.AreEqual(c, back);
    }

    [TestMethod]
    public void FromOptionsReadsRangeChoiceAndBooleanChoiceAttributes()
    {
        SweepSearchSpace space = SweepSearchSpace.FromOptions<TestOptions>("opt.");
        CollectionAssert.AreEqual(new[] { "opt.LearningRate", "opt.BatchSize", "opt.Dropout", "opt.Strategy", "opt.Optimizer", "opt.Shuffle", "opt.Augment" },
            space.Parameters.Select(p => p.Name).ToArray());
        SweepParameter lr = space["opt.LearningRate"];
        Assert.AreEqual((SweepParameterKind.Range, 1e-4, 1e-1, true, (object)1e-3), (lr.Kind, lr.Min, lr.Max, lr.LogBase, lr.Default));
        SweepParameter batch = space["opt.BatchSize"];
        Assert.AreEqual((SweepParameterKind.IntRange, 1.0, 64.0, false, (object)16), (batch.Kind, batch.Min, batch.Max, batch.LogBase, batch.Default));
        Assert.AreEqual(0.0, space["opt.Dropout"].Default);
        SweepParameter strategy = space["opt.Strategy"];
        CollectionAssert.AreEqual(new object[] { Mode.Fast, Mode.Careful, Mode.Thorough }, strategy.Values.ToArray());
        Assert.AreEqual(Mode.Careful, strategy.Default);
        Assert.AreEqual("adam", space["opt.Optimizer"].Default);
        Assert.AreEqual(true, space["opt.Shuffle"].Default);
        Assert.AreEqual(false, space["opt.Augment"].Default);

        var options = new TestOptions();
        SweepConfiguration c = space.Defaults().With("opt.BatchSize", 48).With("opt.Strategy", Mode.Thorough).With("opt.LearningRate", 0.05).With("opt.Augment", true);
        space.ApplyTo(options, c, "opt.");
        Assert.AreEqual((48, Mode.Thorough, 0.05, true, true, "adam"), (options.BatchSize, options.Strategy, options.LearningRate, options.Augment, options.Shuffle, options.Optimizer));
    }

    [TestMethod]
    public void FromOptionsReadsTheQuantizeAwareTrainersAttributes()
    {
        SweepSearchSpace space = SweepSearchSpace.FromOptions<QuantizeAwareTrainer.Options>();
        CollectionAssert.AreEqual(new object[] { 1, 2, 4, 8 }, space["WeightBits"].Values.ToArray());
        Assert.AreEqual(8, space["WeightBits"].Default);
        CollectionAssert.AreEqual(new object[] { RangeTracking.MinMax, RangeTracking.Ema }, space["ActivationRange"].Values.ToArray());
        Assert.AreEqual(SweepParameterKind.IntRange, space["QuantDelay"].Kind);
        Assert.AreEqual(true, space["FoldBatchNorm"].Default);
        SweepParameter temperature = space["DistillationTemperature"];
        Assert.AreEqual((1.0, 20.0, true, (object)4.0), (temperature.Min, temperature.Max, temperature.LogBase, temperature.Default));

        var options = space.ApplyTo(new QuantizeAwareTrainer.Options(), space.Defaults().With("WeightBits", 2).With("ActivationRange", RangeTracking.Ema));
        Assert.AreEqual((2, RangeTracking.Ema), (options.WeightBits, options.ActivationRange));
    }

    [TestMethod]
    public void GridEnumeratesEveryCombination()
    {
        var space = new SweepSearchSpace()
            .AddRange("x", 0, 1, 0.5)                                  // 3 steps: 0, 0.5, 1
            .AddIntRange("bits", 1, 8, 8)                               // 3 steps: 1, 5, 8
            .AddIntRange("two", 1, 2, 1)                                // only 2 values
            .AddChoice("mode", new object[] { Mode.Fast, Mode.Careful, Mode.Thorough }, Mode.Fast)
            .AddBoolean("fold", false);
        List<SweepConfiguration> grid = space.Grid(3).ToList();
        Assert.AreEqual(3 * 3 * 2 * 3 * 2, grid.Count);
        Assert.AreEqual(grid.Count, grid.Select(c => c.Key).Distinct().Count());
        CollectionAssert.AreEquivalent(new object[] { 1, 5, 8 }, grid.Select(c => c["bits"]).Distinct().ToArray());
        CollectionAssert.AreEquivalent(new object[] { 0.0, 0.5, 1.0 }, grid.Select(c => c["x"]).Distinct().ToArray());
        Assert.AreEqual(1, space.Grid(1).Count(c => true) / (3 * 2));
    }
}
