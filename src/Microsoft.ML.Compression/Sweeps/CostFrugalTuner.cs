namespace Microsoft.ML.Compression.Sweeps;

/// <summary>
/// Cost-frugal optimisation (CFO, the Flow2 local search of FLAML; Wu, Wang and Huang, AAAI 2021), on the first
/// objective with infeasible trials ranked after feasible ones.
/// </summary>
/// <remarks>
/// <para>
/// It starts at the low-cost initial point (the best of the user's initial points, else the search space's defaults:
/// cheap settings there keep the first trials cheap) and moves by randomised directions: from the incumbent x with
/// step size δ it draws u uniformly on the unit sphere and tries x + δu; if that is not better it tries x − δu; a
/// better point becomes the incumbent. Only a comparison of results is needed, so any metric scale works.
/// </para>
/// <para>
/// After N = min(2^(d−1), 2d) rounds in a row without improvement δ shrinks, by more the more those fruitless rounds
/// cost compared with what reaching the incumbent cost (factor √(c_inc / (c_inc + c_since)), kept in [0.3, 0.71]):
/// that is how trial cost steers the search. When δ drops below its floor the search restarts from the initial point
/// perturbed at random, with δ reset; the sweep keeps every earlier result.
/// </para>
/// </remarks>
public sealed class CostFrugalTuner : SweepTuner
{
    private const double InitialStepPerSqrtDim = 0.1, FloorPerSqrtDim = 0.001;

    private System.Random _random = new(0);
    private double[] _start = Array.Empty<double>(), _x = Array.Empty<double>(), _direction = Array.Empty<double>();
    private double[]? _pending, _walkStart;
    private string? _pendingKey;
    private SweepTrial? _incumbent;
    private bool _minusNext;
    private double _step, _costToIncumbent, _costSince;
    private int _fruitlessRounds, _restarts;

    /// <summary>A cost-frugal search seeded with <paramref name="seed"/>.</summary>
    public CostFrugalTuner(int seed) : base(seed) { }

    /// <inheritdoc />
    public override string Kind => "cfo";

    /// <summary>How many times the search has restarted (its step fell below the floor).</summary>
    public int Restarts => _restarts;

    private double InitialStep => InitialStepPerSqrtDim * Math.Sqrt(Space.Dimensions);

    /// <inheritdoc />
    public override double[]? Propose()
    {
        if (Space.Dimensions == 0) return _incumbent is null ? Array.Empty<double>() : null;
        double[] point;
        if (_incumbent is null)
            point = (double[])(_walkStart ?? _start).Clone();
        else if (!_minusNext)
        {
            _direction = SphereDirection(_random, Space.Dimensions);
            point = Clip(_x.Select((x, i) => x + _step * _direction[i]).ToArray());
        }
        else
            point = Clip(_x.Select((x, i) => x - _step * _direction[i]).ToArray());
        _pending = point;
        _pendingKey = Space.FromUnit(point).Key;
        return (double[])point.Clone();
    }

    /// <inheritdoc />
    protected override void Reset()
    {
        _random = new System.Random(Seed);
        _start = Space.ToUnit(Space.Defaults());
        _x = (double[])_start.Clone();
        _pending = _walkStart = null;
        _pendingKey = null;
        _incumbent = null;
        _minusNext = false;
        _step = InitialStep;
        _costToIncumbent = _costSince = 0;
        _fruitlessRounds = _restarts = 0;
    }

    /// <inheritdoc />
    protected override void OnReport(SweepTrial trial)
    {
        bool answer = _pendingKey == trial.Configuration.Key;
        double[]? proposed = answer ? _pending : null;
        if (answer) (_pending, _pendingKey) = (null, null);
        _costSince += Math.Max(0, trial.Cost);

        if (_incumbent is null || IsBetter(trial, _incumbent))
        {
            // Keep the continuous point that was proposed (its discretised configuration loses the position in the bin).
            _x = proposed ?? Space.ToUnit(trial.Configuration);
            if (_incumbent is null && !answer) _start = (double[])_x.Clone(); // the best initial point is the low-cost start
            _incumbent = trial;
            _costToIncumbent += _costSince;
            _costSince = 0;
            _fruitlessRounds = 0;
            _minusNext = false;
            return;
        }
        if (!answer) return; // an initial point or a replayed duplicate that is no better: nothing to learn for the walk
        if (!_minusNext)
        {
            _minusNext = true;
            return;
        }
        _minusNext = false;
        if (++_fruitlessRounds < Math.Min(1 << Math.Min(Space.Dimensions - 1, 20), 2 * Space.Dimensions)) return;
        _fruitlessRounds = 0;
        double reachCost = Math.Max(_costToIncumbent, 1e-9);
        _step *= Math.Clamp(Math.Sqrt(reachCost / (reachCost + _costSince)), 0.3, 0.71);
        if (_step >= FloorPerSqrtDim * Math.Sqrt(Space.Dimensions)) return;

        // Converged locally: start a new walk near the low-cost point; its first trial becomes the new incumbent.
        _restarts++;
        _x = Clip(_start.Select(s => s + InitialStep * Gaussian(_random)).ToArray());
        _walkStart = (double[])_x.Clone(); // the low-cost start itself stays the anchor of later restarts
        _incumbent = null;
        _step = InitialStep;
        _costToIncumbent = _costSince = 0;
    }
}
