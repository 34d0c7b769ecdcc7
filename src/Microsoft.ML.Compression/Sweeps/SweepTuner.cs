namespace Microsoft.ML.Compression.Sweeps;

/// <summary>
/// Proposes the next point of [0, 1]^d to evaluate and learns from every reported trial. A tuner is deterministic:
/// the same seed and the same sequence of proposals and reports give the same points (a resumed sweep replays its
/// history to get back to where it was). <see cref="Initialize"/> resets it, so one tuner object can serve several runs.
/// </summary>
/// <remarks>
/// The engine evaluates the user's initial points before asking the tuner and reports them like the tuner's own
/// proposals, so local-search tuners start from the best of them. Trials re-run at a higher fidelity by successive
/// halving are not reported: tuners search at the screening fidelity.
/// </remarks>
public abstract class SweepTuner
{
    private readonly List<SweepTrial> _history = new();

    /// <summary>A tuner drawing its random numbers from <paramref name="seed"/>.</summary>
    protected SweepTuner(int seed) => Seed = seed;

    /// <summary>The seed of the tuner's random numbers.</summary>
    public int Seed { get; }

    /// <summary>Short name of the algorithm ("grid", "random", "cfo", "multi-objective"); part of a checkpoint's fingerprint.</summary>
    public abstract string Kind { get; }

    /// <summary>The space searched (set by <see cref="Initialize"/>).</summary>
    protected SweepSearchSpace Space { get; private set; } = new();

    /// <summary>The objectives; single-objective tuners optimise the first.</summary>
    protected IReadOnlyList<SweepObjective> Objectives { get; private set; } = Array.Empty<SweepObjective>();

    /// <summary>The constraints; infeasible trials rank after feasible ones.</summary>
    protected IReadOnlyList<SweepConstraint> Constraints { get; private set; } = Array.Empty<SweepConstraint>();

    /// <summary>Every trial reported so far, in order.</summary>
    protected IReadOnlyList<SweepTrial> History => _history;

    /// <summary>Forgets everything and prepares to search <paramref name="space"/>.</summary>
    public void Initialize(SweepSearchSpace space, IReadOnlyList<SweepObjective> objectives, IReadOnlyList<SweepConstraint> constraints)
    {
        Space = space ?? throw new ArgumentNullException(nameof(space));
        Objectives = objectives ?? throw new ArgumentNullException(nameof(objectives));
        Constraints = constraints ?? throw new ArgumentNullException(nameof(constraints));
        if (objectives.Count == 0) throw new ArgumentException("A tuner needs at least one objective.", nameof(objectives));
        _history.Clear();
        Reset();
    }

    /// <summary>The next point to evaluate (one coordinate in [0, 1] per parameter), or null when the tuner has nothing left to try.</summary>
    public abstract double[]? Propose();

    /// <summary>
    /// Tells the tuner a trial's outcome: the result of its last proposal, an initial point, or an earlier trial
    /// when its proposal was a configuration already evaluated.
    /// </summary>
    public void Report(SweepTrial trial)
    {
        ArgumentNullException.ThrowIfNull(trial);
        _history.Add(trial);
        OnReport(trial);
    }

    /// <summary>Clears the tuner's own state (random numbers from <see cref="Seed"/> again).</summary>
    protected abstract void Reset();

    /// <summary>Learns from <paramref name="trial"/> (already added to <see cref="History"/>).</summary>
    protected virtual void OnReport(SweepTrial trial) { }

    /// <summary>Whether <paramref name="a"/> beats <paramref name="b"/> on the first objective, feasible first, failed last.</summary>
    protected bool IsBetter(SweepTrial a, SweepTrial b) => SweepRanking.Better(a, b, Objectives);

    /// <summary>Every configuration of <see cref="SweepSearchSpace.Grid"/> in order, then nothing.</summary>
    public static SweepTuner Grid(int stepsPerRange) => new GridTuner(stepsPerRange);

    /// <summary>Uniform random points of [0, 1]^d.</summary>
    public static SweepTuner Random(int seed = 0) => new RandomTuner(seed);

    /// <summary>Cost-frugal local search (FLAML's CFO / Flow2) on the first objective; see <see cref="CostFrugalTuner"/>.</summary>
    public static SweepTuner CostFrugal(int seed = 0) => new CostFrugalTuner(seed);

    /// <summary>Random Chebyshev scalarisations over a non-dominated archive; see <see cref="MultiObjectiveTuner"/>.</summary>
    public static SweepTuner MultiObjective(int seed = 0) => new MultiObjectiveTuner(seed);

    /// <summary>A point of the unit sphere in <paramref name="dimensions"/> dimensions, uniformly (normalised Gaussians).</summary>
    internal static double[] SphereDirection(System.Random random, int dimensions)
    {
        double[] u = new double[dimensions];
        double norm;
        do
        {
            for (int i = 0; i < dimensions; i++) u[i] = Gaussian(random);
            norm = Math.Sqrt(u.Sum(x => x * x));
        } while (norm < 1e-12);
        for (int i = 0; i < dimensions; i++) u[i] /= norm;
        return u;
    }

    /// <summary>A standard normal draw (Box-Muller).</summary>
    internal static double Gaussian(System.Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    internal static double[] Clip(double[] x)
    {
        for (int i = 0; i < x.Length; i++) x[i] = Math.Clamp(x[i], 0, 1);
        return x;
    }
}
