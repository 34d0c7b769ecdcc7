using Microsoft.ML.Compression.Analysis.Sensitivity;
using Microsoft.ML.Compression.Estimators;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Pruning;

namespace Microsoft.ML.Compression.Sweeps;

/// <summary>
/// The parameters a <see cref="CompressionSweep"/> understands, and the default space over a network: the pruning
/// method and rate, int8 against per-layer weight widths, whether the starting model teaches, and the distillation
/// weight (read from <see cref="CompressionOptions.DistillationWeight"/>'s <c>[Range]</c>). Parameters named
/// <see cref="OptionsPrefix"/> + a property of the training options (e.g. from
/// <see cref="SweepSearchSpace.AddOptions(Type, string, string[])"/>) are set on every training step's options.
/// </summary>
public static class CompressionSearchSpace
{
    /// <summary>The pruning method, a <see cref="SweepPruning"/>.</summary>
    public const string Pruning = "pruning";

    /// <summary>The fraction of channels pruning removes.</summary>
    public const string PruneRate = "prune_rate";

    /// <summary>The quantization, a <see cref="SweepQuantization"/>.</summary>
    public const string Quantization = "quantization";

    /// <summary>Whether the starting model teaches the training steps.</summary>
    public const string Teacher = "teacher";

    /// <summary>The prefix of a convolution's weight bits (<c>bits.conv1</c>), used with <see cref="SweepQuantization.MixedBits"/>.</summary>
    public const string BitsPrefix = "bits.";

    /// <summary>The prefix of a layer's (or coupled stage's, by its first convolution) prune rate (<c>rate.conv1</c>), used by L1-norm and SCOP.</summary>
    public const string RatePrefix = "rate.";

    /// <summary>The prefix of parameters set on every training step's options (<c>train.LearningRate</c>).</summary>
    public const string OptionsPrefix = "train.";

    /// <summary>
    /// The step prune rates are counted in. Widths round to multiples of 8 (or 4 on narrow layers), so rates closer
    /// than this keep the same widths in nearly every layer and would train one model twice.
    /// </summary>
    public const double PruneRateStep = 0.05;

    /// <summary>Weight widths a convolution may take in <see cref="SweepQuantization.MixedBits"/>.</summary>
    public static readonly IReadOnlyList<int> LayerWidths = new[] { 8, 4, 2 };

    /// <summary>
    /// The default space over <paramref name="network"/>: every pruning method it supports (Network Slimming needs
    /// BatchNorm layers), rates 0.25-0.75, no/int8/mixed quantization with 8, 4 or 2 bits per convolution, teacher on
    /// or off, and the distillation weight. With <paramref name="layerRates"/>, also a prune rate (0-0.75) per layer
    /// or coupled residual stage, which L1-norm and SCOP use instead of the one rate.
    /// </summary>
    public static SweepSearchSpace Create(NetworkGraph network, bool layerRates = false)
    {
        ArgumentNullException.ThrowIfNull(network);
        var methods = new List<object> { SweepPruning.None, SweepPruning.L1Norm };
        if (network.Layers.Any(l => l is BatchNorm2dLayer)) methods.Add(SweepPruning.NetworkSlimming);
        methods.Add(SweepPruning.Scop);
        var space = new SweepSearchSpace()
            .AddChoice(Pruning, methods, SweepPruning.None)
            .AddRange(PruneRate, 0.25, 0.75, 0.5)
            .AddChoice(Quantization, new object[] { SweepQuantization.None, SweepQuantization.Int8, SweepQuantization.MixedBits }, SweepQuantization.Int8);
        if (layerRates)
            foreach (string layer in RateLayers(network))
                space.AddRange(RatePrefix + layer, 0.0, 0.75, 0.5);
        foreach (string layer in BitLayers(network))
            space.AddChoice(BitsPrefix + layer, LayerWidths.Cast<object>(), 8);
        space.AddBoolean(Teacher, false);
        return space.AddOptions(typeof(CompressionOptions), OptionsPrefix, nameof(CompressionOptions.DistillationWeight));
    }

    /// <summary>The first convolution of each channel group a per-layer rate prunes (residual stages coupled).</summary>
    public static IReadOnlyList<string> RateLayers(NetworkGraph network) =>
        new ChannelDependencies(network, ResidualPruning.Coupled).Groups.Where(g => g.Width >= 2).Select(g => g.Layers[0]).ToArray();

    /// <summary>The layers a mixed-precision trial sets the width of: the convolutions.</summary>
    public static IReadOnlyList<string> BitLayers(NetworkGraph network) => network.Layers.OfType<Conv2dLayer>().Select(l => l.Name).ToArray();

    /// <summary>
    /// Starting points from <paramref name="sensitivity"/>: for each accuracy drop in <paramref name="maxDropPoints"/>,
    /// every convolution at the fewest bits (of 8, 4, 2) it tolerates alone, with and without L1 pruning at the median
    /// of the groups' largest tolerated rates, and that pruning with int8 weights and activations. Only the space's
    /// parameters are set; the rest keep their defaults.
    /// </summary>
    public static IReadOnlyList<SweepConfiguration> FromSensitivity(SweepSearchSpace space, SensitivityReport sensitivity, params double[] maxDropPoints)
    {
        ArgumentNullException.ThrowIfNull(space);
        ArgumentNullException.ThrowIfNull(sensitivity);
        var names = space.Parameters.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        var points = new List<SweepConfiguration>();
        foreach (double drop in maxDropPoints.Length == 0 ? new[] { 0.5 } : maxDropPoints)
        {
            SweepConfiguration c = space.Defaults();
            if (names.Contains(Quantization)) c = c.With(Quantization, SweepQuantization.MixedBits);
            foreach (string name in names.Where(n => n.StartsWith(BitsPrefix, StringComparison.Ordinal)))
            {
                int bits = sensitivity.FewestBits(name[BitsPrefix.Length..], drop) ?? 8;
                c = c.With(name, LayerWidths.Where(w => w >= bits).Min());
            }
            foreach (string name in names.Where(n => n.StartsWith(RatePrefix, StringComparison.Ordinal)))
            {
                string layer = name[RatePrefix.Length..];
                string? target = sensitivity.Targets.FirstOrDefault(t => t == layer || t.StartsWith(layer + " (+", StringComparison.Ordinal));
                SweepParameter p = space[name];
                if (target is not null) c = c.With(name, Math.Clamp(sensitivity.LargestPruneRate(target, drop), p.Min, p.Max));
            }
            points.Add(c);
            var rates = sensitivity.Targets.Where(t => sensitivity.Rows.Any(r => r.Target == t && r.Kind == SensitivityReport.Prune))
                .Select(g => sensitivity.LargestPruneRate(g, drop)).OrderBy(r => r).ToArray();
            double rate = rates.Length == 0 ? 0 : rates[rates.Length / 2];
            if (names.Contains(Pruning) && names.Contains(PruneRate) && rate > 0)
            {
                SweepParameter p = space[PruneRate];
                SweepConfiguration pruned = c.With(Pruning, SweepPruning.L1Norm).With(PruneRate, Math.Clamp(rate, p.Min, p.Max));
                points.Add(pruned);
                // Weight-only mixed widths make the smallest files but run float kernels (ONNX Runtime decodes them when
                // the session loads); the same pruning at int8 runs integer kernels, the fast end of the trade-off, so
                // the search starts from both.
                if (names.Contains(Quantization) && space[Quantization].Values.Contains(SweepQuantization.Int8))
                    points.Add(pruned.With(Quantization, SweepQuantization.Int8));
            }
        }
        return points.Select(space.Validate).Distinct().ToArray();
    }

    /// <summary>
    /// <paramref name="configuration"/> with every parameter its trial does not read set to the default of
    /// <paramref name="space"/> (a prune rate without pruning, widths without <see cref="SweepQuantization.MixedBits"/>,
    /// the distillation weight without a teacher; every width 8 is <see cref="SweepQuantization.Int8"/>), the prune
    /// rates read rounded to <see cref="PruneRateStep"/> and the distillation weight to <see cref="DistillationWeightStep"/>,
    /// so that configurations running the same trial are one configuration. With the <paramref name="network"/> pruned,
    /// an L1-norm or SCOP rate (without per-layer rates) becomes the highest on-step rate that keeps the same widths.
    /// </summary>
    public static SweepConfiguration Canonical(SweepSearchSpace space, SweepConfiguration configuration, NetworkGraph? network = null)
    {
        ArgumentNullException.ThrowIfNull(space);
        ArgumentNullException.ThrowIfNull(configuration);
        CompressionTrialSettings settings = Decode(configuration, 1);
        SweepConfiguration defaults = space.Defaults();
        SweepConfiguration c = configuration;
        if (c.ContainsKey(Quantization) && space[Quantization].Values.Contains(settings.Quantization)) c = c.With(Quantization, settings.Quantization);
        bool Unread(string name) =>
            (name == PruneRate && settings.Pruning == SweepPruning.None)
            || (name.StartsWith(RatePrefix, StringComparison.Ordinal) && settings.LayerRates.Count == 0)
            || (name.StartsWith(BitsPrefix, StringComparison.Ordinal) && settings.Quantization != SweepQuantization.MixedBits)
            || (name == OptionsPrefix + nameof(CompressionOptions.DistillationWeight) && !settings.Teacher);
        foreach (string name in configuration.Keys.Where(Unread).Where(defaults.ContainsKey).ToArray())
            c = c.With(name, defaults[name]);
        foreach (string name in c.Keys.Where(n => (n == PruneRate && settings.Pruning != SweepPruning.None) || (n.StartsWith(RatePrefix, StringComparison.Ordinal) && settings.LayerRates.Count > 0)).ToArray())
            if (space.Parameters.Any(p => p.Name == name && p.Kind == SweepParameterKind.Range))
                c = c.With(name, OnStep(c.Get<double>(name), space[name]));
        string weight = OptionsPrefix + nameof(CompressionOptions.DistillationWeight);
        if (settings.Teacher && c.ContainsKey(weight) && space.Parameters.Any(p => p.Name == weight && p.Kind == SweepParameterKind.Range))
            c = c.With(weight, OnStep(c.Get<double>(weight), space[weight], DistillationWeightStep));
        if (network is not null && settings.Pruning is SweepPruning.L1Norm or SweepPruning.Scop && settings.LayerRates.Count == 0
            && space.Parameters.Any(p => p.Name == PruneRate && p.Kind == SweepParameterKind.Range))
            c = c.With(PruneRate, HighestRateWithSameWidths(network, c.Get<double>(PruneRate), space[PruneRate]));
        return c;
    }

    /// <summary>The step the distillation weight is counted in: closer weights train practically the same model.</summary>
    public const double DistillationWeightStep = 0.1;

    // Widths are rounded to channel multiples, so neighbouring rates often keep the same widths: the same model.
    private static double HighestRateWithSameWidths(NetworkGraph network, double rate, SweepParameter p)
    {
        var options = new L1NormPruner.Options();
        ChannelDependencies deps = options.PerLayerDependencies(network);
        int[]? Widths(double r) => ChannelSelection.PerGroupWidths(deps, _ => r, options.Multiple);
        int[]? widths = Widths(rate);
        if (widths is null) return rate;
        double highest = rate;
        for (double r = OnStep(rate + PruneRateStep, p); r > highest && Widths(r) is { } w && w.SequenceEqual(widths); r = OnStep(r + PruneRateStep, p))
            highest = r;
        return highest;
    }

    // The multiple of step nearest to rate, inside the parameter's range.
    private static double OnStep(double rate, SweepParameter p, double step = PruneRateStep)
    {
        double stepped = Math.Round(Math.Round(rate / step, MidpointRounding.AwayFromZero) * step, 10);
        return Math.Clamp(stepped, p.Min, p.Max);
    }

    /// <summary>The trial <paramref name="configuration"/> describes, at <paramref name="epochs"/> training epochs per step.</summary>
    public static CompressionTrialSettings Decode(SweepConfiguration configuration, int epochs)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        T Or<T>(string name, T fallback) => configuration.ContainsKey(name) ? configuration.Get<T>(name) : fallback;
        var pruning = Or(Pruning, SweepPruning.None);
        var quantization = Or(Quantization, SweepQuantization.None);
        var rates = configuration.Keys.Where(k => k.StartsWith(RatePrefix, StringComparison.Ordinal))
            .ToDictionary(k => k[RatePrefix.Length..], k => configuration.Get<double>(k), StringComparer.Ordinal);
        if (pruning is SweepPruning.None or SweepPruning.NetworkSlimming) rates.Clear();
        var bits = configuration.Keys.Where(k => k.StartsWith(BitsPrefix, StringComparison.Ordinal))
            .ToDictionary(k => k[BitsPrefix.Length..], k => configuration.Get<int>(k), StringComparer.Ordinal);
        if (quantization == SweepQuantization.MixedBits && bits.Values.All(b => b == 8))
            quantization = SweepQuantization.Int8; // every layer at 8 bits is the int8 model
        if (quantization != SweepQuantization.MixedBits) bits.Clear();
        return new CompressionTrialSettings(pruning, pruning == SweepPruning.None ? 0 : Or(PruneRate, 0.5), rates, quantization, bits,
            Or(Teacher, false), Or(OptionsPrefix + nameof(CompressionOptions.DistillationWeight), 0.9), Math.Max(1, epochs));
    }
}
