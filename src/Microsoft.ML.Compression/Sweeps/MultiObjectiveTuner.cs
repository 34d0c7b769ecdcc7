namespace Microsoft.ML.Compression.Sweeps;

/// <summary>
/// Multi-objective search by random scalarisations of a non-dominated archive (in the spirit of ParEGO, without a
/// surrogate model): every proposal draws random weights w on the simplex, picks the archive member that minimises the
/// augmented Chebyshev scalarisation max_i w_i f_i + 0.05 Σ w_i f_i of its min-max normalised objectives, and perturbs
/// its unit vector with Gaussian noise of a randomly drawn scale. Different weights pull different parts of the front
/// forward, so the front spreads.
/// </summary>
/// <remarks>
/// The archive is the non-dominated set of the feasible completed trials (the least-violating ones while none is
/// feasible). Until 6 trials have finished (initial points included), and for one proposal in five after, the tuner
/// explores: the first of these points form a Latin hypercube (each parameter's n values fall in n different n-ths of
/// its range, so every level of a choice of up to 6 levels is tried), the rest are uniform. Six whatever the number of
/// parameters: a compression sweep affords 10-20 screens in an hour, and with more starts (there were 10 for a width
/// per layer) every one of its proposals was an exploring start and none refined the front.
/// Chosen over NSGA-II because it needs no population bookkeeping and works from the first trials of a small budget.
/// </remarks>
public sealed class MultiObjectiveTuner : SweepTuner
{
    private static readonly double[] Scales = { 0.02, 0.05, 0.1, 0.2 };
    private System.Random _random = new(0);
    private double[][] _starts = Array.Empty<double[]>();
    private int _startsUsed;

    /// <summary>A multi-objective search seeded with <paramref name="seed"/>.</summary>
    public MultiObjectiveTuner(int seed) : base(seed) { }

    /// <inheritdoc />
    public override string Kind => "multi-objective";

    /// <inheritdoc />
    protected override void Reset()
    {
        _random = new System.Random(Seed);
        _starts = LatinHypercube(new System.Random(unchecked(Seed * 7919 + 1)), StartCount, Space.Dimensions);
        _startsUsed = 0;
    }

    private const int StartCount = 6;

    /// <inheritdoc />
    public override double[]? Propose()
    {
        int d = Space.Dimensions;
        // Draw every random number each time, whichever branch is taken, so the stream does not depend on the branch.
        double explore = _random.NextDouble();
        double[] weights = Enumerable.Range(0, Objectives.Count).Select(_ => -Math.Log(1 - _random.NextDouble())).ToArray();
        double scale = Scales[_random.Next(Scales.Length)];
        double[] noise = Enumerable.Range(0, d).Select(_ => Gaussian(_random)).ToArray();
        double[] uniform = Enumerable.Range(0, d).Select(_ => _random.NextDouble()).ToArray();

        List<SweepTrial> done = History.Where(t => t.Succeeded).GroupBy(t => t.Configuration.Key).Select(g => g.First()).ToList();
        if (done.Count < StartCount || explore < 0.2) return _startsUsed < _starts.Length ? _starts[_startsUsed++] : uniform;

        List<SweepTrial> archive = Archive(done);
        double total = weights.Sum();
        SweepTrial parent = archive.MinBy(t => Scalarise(t, done, weights.Select(w => w / total).ToArray()))!;
        double[] x = Space.ToUnit(parent.Configuration);
        return Clip(x.Select((v, i) => v + scale * noise[i]).ToArray());
    }

    /// <summary><paramref name="n"/> points of [0, 1]^<paramref name="d"/> whose coordinates each fall once in every n-th of [0, 1].</summary>
    internal static double[][] LatinHypercube(System.Random random, int n, int d)
    {
        double[][] points = Enumerable.Range(0, n).Select(_ => new double[d]).ToArray();
        for (int j = 0; j < d; j++)
        {
            int[] strata = Enumerable.Range(0, n).ToArray();
            random.Shuffle(strata);
            for (int k = 0; k < n; k++) points[k][j] = (strata[k] + random.NextDouble()) / n;
        }
        return points;
    }

    private List<SweepTrial> Archive(List<SweepTrial> done)
    {
        List<SweepTrial> feasible = done.Where(t => t.Feasible).ToList();
        if (feasible.Count == 0) return done.OrderBy(t => t.Violation).Take(3).ToList();
        return ParetoFront.Of(feasible, t => t.Metrics, Objectives).ToList();
    }

    private double Scalarise(SweepTrial t, List<SweepTrial> done, double[] weights)
    {
        double worst = 0, sum = 0;
        for (int i = 0; i < Objectives.Count; i++)
        {
            SweepObjective o = Objectives[i];
            double lo = done.Min(x => o.Loss(x.Metrics)), hi = done.Max(x => o.Loss(x.Metrics));
            double f = hi > lo ? (o.Loss(t.Metrics) - lo) / (hi - lo) : 0;
            worst = Math.Max(worst, weights[i] * f);
            sum += weights[i] * f;
        }
        return worst + 0.05 * sum;
    }
}
