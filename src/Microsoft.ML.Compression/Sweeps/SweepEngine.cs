using System.IO;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;

namespace Microsoft.ML.Compression.Sweeps;

/// <summary>
/// Runs a hyper-parameter sweep: a tuner proposes configurations of a <see cref="SweepSearchSpace"/>, an evaluator
/// callback measures them (it trains, exports and scores; the engine knows nothing of training), and the result is the
/// Pareto front of the objectives under the constraints. Trials run one at a time.
/// </summary>
/// <remarks>
/// <para>
/// Low fidelity first: with several <see cref="Fidelities"/> (e.g. fine-tuning epochs 0, 1, 3) new configurations run
/// at the lowest; whenever a level holds <see cref="Eta"/>·k results, its best k (feasible first, then Pareto rank,
/// then the first objective) are re-run at the next level as new trials (asynchronous successive halving, checked from
/// the highest level down before each new configuration). Once two promotions from a level finished, its screens are
/// judged feasible or not by what they should reach one level up: their constrained metrics moved by the median
/// change the promotions showed (a screen 0.2 points under an accuracy bound, when fine-tuning further has added 0.7
/// so far, is promoted as a feasible one is). Near the end of a <see cref="MaxTime"/> budget, when the
/// time left is less than a new configuration needs to climb every level (the mean seconds per level so far), no new
/// configuration starts while an unpromoted member of a level's Pareto front remains: those are promoted instead, best
/// spread first, so the budget ends with the promising screens trained further rather than with screens that could
/// never be promoted.
/// </para>
/// <para>
/// With a <see cref="CheckpointFolder"/> every finished trial is on disk before the next starts; running the same
/// sweep on the folder again replays them (the tuner sees the same history, so it proposes the same points) and
/// continues where it stopped, repeating no finished trial.
/// </para>
/// </remarks>
public sealed class SweepEngine
{
    private readonly Func<SweepTrialContext, Task<SweepMetrics>> _evaluate;

    /// <summary>A sweep of <paramref name="space"/> whose trials <paramref name="evaluate"/> measures (on the calling thread).</summary>
    public SweepEngine(SweepSearchSpace space, Func<SweepTrialContext, SweepMetrics> evaluate)
        : this(space, WrapSync(evaluate)) { }

    /// <summary>A sweep of <paramref name="space"/> whose trials <paramref name="evaluate"/> measures asynchronously.</summary>
    public SweepEngine(SweepSearchSpace space, Func<SweepTrialContext, Task<SweepMetrics>> evaluate)
    {
        Space = space ?? throw new ArgumentNullException(nameof(space));
        _evaluate = evaluate ?? throw new ArgumentNullException(nameof(evaluate));
    }

    /// <summary>The space searched.</summary>
    public SweepSearchSpace Space { get; }

    /// <summary>The objectives, at least one; single-objective tuners and <see cref="SweepResult.Best"/> use the first.</summary>
    public IList<SweepObjective> Objectives { get; } = new List<SweepObjective>();

    /// <summary>Bounds a trial must meet to be feasible.</summary>
    public IList<SweepConstraint> Constraints { get; } = new List<SweepConstraint>();

    /// <summary>Configurations to evaluate first, in order, whatever <see cref="Precheck"/> says of them; tuners learn from them.</summary>
    public IList<SweepConfiguration> InitialPoints { get; } = new List<SweepConfiguration>();

    /// <summary>
    /// Configurations the sweep derived itself (e.g. from a sensitivity table), evaluated after <see cref="InitialPoints"/>
    /// and before the tuner's proposals. Unlike initial points, which the user chose, they are prechecked as proposals are.
    /// </summary>
    public IList<SweepConfiguration> SuggestedPoints { get; } = new List<SweepConfiguration>();

    /// <summary>The tuner; default <see cref="SweepTuner.CostFrugal"/>(0) with one objective, <see cref="SweepTuner.MultiObjective"/>(0) with more.</summary>
    public SweepTuner? Tuner { get; set; }

    /// <summary>Most trials to run (promotions and failed trials count; a resumed sweep counts its earlier trials). Default 100.</summary>
    public int MaxTrials { get; set; } = 100;

    /// <summary>Wall-clock budget; no trial starts after it is spent (a resumed sweep counts its earlier trials' seconds). Default none.</summary>
    public TimeSpan? MaxTime { get; set; }

    /// <summary>Folder for <c>sweep.json</c>, <c>trials.jsonl</c> and the trials' artifact folders; null: no checkpoint, artifacts in a temporary folder.</summary>
    public string? CheckpointFolder { get; set; }

    /// <summary>
    /// Maps a configuration to the one that stands for every configuration running the same trial (e.g. one that sets a
    /// parameter no step reads back to its default), so that such configurations are evaluated once. Default none.
    /// </summary>
    public Func<SweepConfiguration, SweepConfiguration>? Canonicalize { get; set; }

    /// <summary>
    /// Metrics a configuration's trial is known to reach at best before it runs (e.g. the fewest bytes its model can
    /// have, from its structure): for a metric with an <see cref="SweepConstraint.AtMost"/> bound a value it cannot go
    /// below, with <see cref="SweepConstraint.AtLeast"/> one it cannot exceed; null or a missing metric: unknown. A
    /// tuner's proposal whose values already break a constraint is not run: it is logged, listed in
    /// <see cref="SweepResult.Skipped"/> and told to the tuner as a failed trial; so are <see cref="SuggestedPoints"/>,
    /// while <see cref="InitialPoints"/> always run. A trial whose values break a constraint is not promoted (more
    /// training cannot help it). It must be deterministic, so that a resumed sweep skips what the first run skipped.
    /// Default none.
    /// </summary>
    public Func<SweepConfiguration, SweepMetrics?>? Precheck { get; set; }

    /// <summary>Told about every trial as it starts and ends.</summary>
    public ISweepMonitor? Monitor { get; set; }

    /// <summary>One line per trial ("trial 7 (fidelity 1): accuracy 0.9123, bytes 104,233 feasible, on front | 12.3 s").</summary>
    public Action<string>? Log { get; set; }

    /// <summary>Fidelity levels, increasing (e.g. fine-tuning epochs { 0, 1, 3 }); one level is a plain sweep. Default { 0 }.</summary>
    public IReadOnlyList<int> Fidelities { get; set; } = new[] { 0 };

    /// <summary>Successive halving's reduction factor: the best 1/eta of a level go on to the next. Default 3.</summary>
    public int Eta { get; set; } = 3;

    /// <summary>
    /// A metric the evaluator reports as the trial's cost for the tuner (e.g. training seconds, or a deterministic
    /// estimate so resumed runs reproduce exactly); null: the engine's measured wall seconds.
    /// </summary>
    public string? CostMetric { get; set; }

    /// <summary>The clock for <see cref="MaxTime"/> and trial seconds (tests pass a manual one).</summary>
    internal TimeProvider Time { get; set; } = TimeProvider.System;

    /// <summary>Adds an objective; returns this engine.</summary>
    public SweepEngine WithObjective(string metric, bool maximize)
    {
        Objectives.Add(new SweepObjective(metric, maximize));
        return this;
    }

    /// <summary>Adds a constraint; returns this engine.</summary>
    public SweepEngine WithConstraint(SweepConstraint constraint)
    {
        Constraints.Add(constraint ?? throw new ArgumentNullException(nameof(constraint)));
        return this;
    }

    /// <summary>Adds initial points; returns this engine.</summary>
    public SweepEngine WithInitialPoints(params SweepConfiguration[] points)
    {
        foreach (SweepConfiguration p in points) InitialPoints.Add(p);
        return this;
    }

    /// <summary>Sets the tuner; returns this engine.</summary>
    public SweepEngine WithTuner(SweepTuner tuner)
    {
        Tuner = tuner ?? throw new ArgumentNullException(nameof(tuner));
        return this;
    }

    /// <summary>Sets the budget; returns this engine.</summary>
    public SweepEngine WithBudget(int maxTrials, TimeSpan? maxTime = null)
    {
        MaxTrials = maxTrials;
        MaxTime = maxTime;
        return this;
    }

    /// <summary>Sets the fidelity levels and eta; returns this engine.</summary>
    public SweepEngine WithFidelities(IReadOnlyList<int> levels, int eta = 3)
    {
        Fidelities = levels;
        Eta = eta;
        return this;
    }

    /// <summary>Sets the checkpoint folder; returns this engine.</summary>
    public SweepEngine WithCheckpoint(string folder)
    {
        CheckpointFolder = folder;
        return this;
    }

    /// <summary>The artifact folder of trial <paramref name="id"/> under <paramref name="artifacts"/>.</summary>
    internal static string TrialFolder(string artifacts, int id) => Path.Combine(artifacts, "trial-" + id.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>
    /// Runs the sweep until the budget is spent, the tuner has nothing left, or <paramref name="cancellationToken"/>
    /// is cancelled (the running trial is then recorded only if its evaluator returned), and returns every trial.
    /// Cancellation does not throw: the result's <see cref="SweepResult.StopReason"/> says why it stopped.
    /// </summary>
    public async Task<SweepResult> RunAsync(CancellationToken cancellationToken = default)
    {
        var run = new Run(this, cancellationToken);
        try
        {
            return await run.ExecuteAsync().ConfigureAwait(false);
        }
        finally
        {
            run.Dispose();
        }
    }

    private static Func<SweepTrialContext, Task<SweepMetrics>> WrapSync(Func<SweepTrialContext, SweepMetrics> evaluate)
    {
        ArgumentNullException.ThrowIfNull(evaluate);
        return context => Task.FromResult(evaluate(context));
    }

    internal JsonObject Describe(SweepTuner tuner, IReadOnlyList<SweepConfiguration> initial) => new()
    {
        ["space"] = Space.ToString(),
        ["objectives"] = new JsonArray(Objectives.Select(o => (JsonNode?)JsonValue.Create(o.ToString())).ToArray()),
        ["constraints"] = new JsonArray(Constraints.Select(c => (JsonNode?)JsonValue.Create(c.ToString())).ToArray()),
        ["fidelities"] = new JsonArray(Fidelities.Select(f => (JsonNode?)JsonValue.Create(f)).ToArray()),
        ["eta"] = Eta,
        ["tuner"] = $"{tuner.Kind} seed {tuner.Seed}",
        ["initialPoints"] = new JsonArray(initial.Select(c => (JsonNode?)JsonValue.Create(c.Key)).ToArray()),
        ["costMetric"] = CostMetric,
    };

    /// <summary>The state of one <see cref="RunAsync"/>.</summary>
    private sealed class Run : IDisposable
    {
        // Finished promotions from a level before its screens are judged by the change they showed (one could be an outlier).
        private const int PairsForExpectation = 2;

        // Proposals that are all configurations already evaluated, in a row, before the space counts as exhausted.
        private const int MaxDuplicatesInARow = 1000;

        private readonly SweepEngine _e;
        private readonly CancellationToken _token;
        private readonly List<SweepObjective> _objectives;
        private readonly List<SweepConstraint> _constraints;
        private readonly int[] _levels;
        private readonly SweepTuner _tuner;
        private readonly List<SweepConfiguration> _initial;
        private readonly List<SweepTrial> _trials = new();
        private readonly Dictionary<string, SweepTrial> _byKeyAndLevel = new(StringComparer.Ordinal);
        private readonly HashSet<int> _promoted = new();
        private readonly Dictionary<int, SweepTrial> _replay = new();
        private readonly Dictionary<string, SweepTrial?> _prechecked = new(StringComparer.Ordinal);
        private readonly Dictionary<string, (SweepMetrics? Bounds, List<SweepConstraint> Broken)> _bounds = new(StringComparer.Ordinal);
        private readonly List<SweepTrial> _skipped = new();
        private readonly SweepCheckpoint? _checkpoint;
        private readonly string _artifacts;
        private readonly long _start;
        private double _replayedSeconds;
        private bool _finishing;

        public Run(SweepEngine engine, CancellationToken token)
        {
            _e = engine;
            _token = token;
            _start = engine.Time.GetTimestamp();
            _objectives = engine.Objectives.ToList();
            _constraints = engine.Constraints.ToList();
            if (_objectives.Count == 0) throw new InvalidOperationException("The sweep needs at least one objective.");
            if (_objectives.Select(o => o.Metric).Distinct().Count() != _objectives.Count) throw new InvalidOperationException("Each objective must name a different metric.");
            _levels = (engine.Fidelities ?? throw new InvalidOperationException("Fidelities must not be null.")).ToArray();
            if (_levels.Length == 0) throw new InvalidOperationException("The sweep needs at least one fidelity level.");
            for (int i = 1; i < _levels.Length; i++)
                if (_levels[i] <= _levels[i - 1]) throw new InvalidOperationException($"Fidelity levels must increase, but {_levels[i]} follows {_levels[i - 1]}.");
            if (engine.Eta < 2) throw new InvalidOperationException($"Eta must be at least 2, not {engine.Eta}.");
            if (engine.MaxTrials < 1) throw new InvalidOperationException($"MaxTrials must be at least 1, not {engine.MaxTrials}.");
            _initial = engine.InitialPoints.Concat(engine.SuggestedPoints).Select((p, i) => Validated(p, i)).ToList();
            _tuner = engine.Tuner ?? (_objectives.Count == 1 ? SweepTuner.CostFrugal(0) : SweepTuner.MultiObjective(0));
            _tuner.Initialize(engine.Space, _objectives, _constraints);

            if (engine.CheckpointFolder is string folder)
            {
                _checkpoint = SweepCheckpoint.Open(folder, engine.Describe(_tuner, _initial));
                foreach (JsonObject record in _checkpoint.Finished)
                {
                    SweepTrial t = Judge(SweepCheckpoint.FromJson(record));
                    _replay[t.Id] = t;
                }
                _artifacts = folder;
            }
            else
                _artifacts = Path.Combine(Path.GetTempPath(), "mlnet-sweep-" + Guid.NewGuid().ToString("N").Substring(0, 12));
        }

        public void Dispose() => _checkpoint?.Dispose();

        public async Task<SweepResult> ExecuteAsync()
        {
            if (_replay.Count > 0) _e.Log?.Invoke($"Resuming from {_replay.Count} finished trial(s) in the checkpoint.");
            int nextInitial = 0, duplicatesInARow = 0;
            SweepStopReason reason;
            while (true)
            {
                if (_token.IsCancellationRequested) { reason = SweepStopReason.Cancelled; break; }
                if (_trials.Count >= _e.MaxTrials) { reason = SweepStopReason.MaxTrials; break; }
                if (_e.MaxTime is TimeSpan limit && Elapsed >= limit.TotalSeconds && !_replay.ContainsKey(_trials.Count + 1))
                { reason = SweepStopReason.MaxTime; break; }

                SweepConfiguration configuration;
                int level = 0;
                SweepTrial? parent = NextPromotion(frontOnly: false, out int promotedLevel) ?? (Finishing() ? NextPromotion(frontOnly: true, out promotedLevel) : null);
                if (parent is not null)
                {
                    configuration = parent.Configuration;
                    level = promotedLevel;
                }
                else
                {
                    bool fromTuner = nextInitial >= _initial.Count, chosen = nextInitial < _e.InitialPoints.Count;
                    if (!fromTuner) configuration = _initial[nextInitial++];
                    else
                    {
                        double[]? unit = _tuner.Propose();
                        if (unit is null) { reason = SweepStopReason.Exhausted; break; }
                        configuration = _e.Space.FromUnit(unit);
                    }
                    if (_e.Canonicalize is { } canonical) configuration = _e.Space.Validate(canonical(configuration));
                    if (_byKeyAndLevel.TryGetValue(KeyAt(configuration, 0), out SweepTrial? earlier))
                    {
                        // Evaluated before: the tuner learns the known result and no trial is spent.
                        _tuner.Report(earlier);
                        if (fromTuner && ++duplicatesInARow >= MaxDuplicatesInARow) { reason = SweepStopReason.Exhausted; break; }
                        continue;
                    }
                    if (!chosen && Skipped(configuration) is SweepTrial skipped)
                    {
                        // Known to break a constraint before it runs: the tuner learns it as a failure, no trial is spent.
                        _tuner.Report(skipped);
                        if (fromTuner && ++duplicatesInARow >= MaxDuplicatesInARow) { reason = SweepStopReason.Exhausted; break; }
                        continue;
                    }
                }
                duplicatesInARow = 0;

                SweepTrial? trial = await RunTrialAsync(_trials.Count + 1, configuration, level, parent?.Id).ConfigureAwait(false);
                if (trial is null) { reason = SweepStopReason.Cancelled; break; }
                Add(trial);
                if (parent is null) _tuner.Report(trial);
            }
            _e.Log?.Invoke($"Sweep stopped ({reason}) after {_trials.Count} trial(s).");
            return new SweepResult(_trials, _objectives, _constraints, reason, _artifacts) { Skipped = _skipped.ToList() };
        }

        /// <summary>
        /// The next trial to promote and the index of the level it goes to, or null, from the highest level down: a level
        /// with eta·k results promotes its best k; with <paramref name="frontOnly"/> (the budget's end) any unpromoted
        /// member of its Pareto front, best spread first, whatever the quota. A trial whose prechecked bounds break a
        /// constraint is never promoted.
        /// </summary>
        private SweepTrial? NextPromotion(bool frontOnly, out int level)
        {
            for (int r = _levels.Length - 2; r >= 0; r--)
            {
                List<SweepTrial> rung = _trials.Where(t => t.Fidelity == _levels[r]).ToList();
                if (!frontOnly && rung.Count(t => _promoted.Contains(t.Id)) >= rung.Count / _e.Eta) continue;
                List<SweepTrial> expected = Expected(rung, r, out string? shift);
                HashSet<int>? front = frontOnly ? SweepResult.FrontOf(expected.Where(t => t.Succeeded).ToList(), _objectives).Select(t => t.Id).ToHashSet() : null;
                SweepTrial? best = SweepRanking.Order(expected, _objectives).FirstOrDefault(t => t.Succeeded && !_promoted.Contains(t.Id)
                    && (front is null || front.Contains(t.Id)) && Bounds(t.Configuration).Broken.Count == 0);
                if (best is null) continue;
                level = r + 1;
                SweepTrial measured = rung.First(t => t.Id == best.Id);
                if (best.Feasible && !measured.Feasible && !_replay.ContainsKey(_trials.Count + 1))
                    _e.Log?.Invoke($"trial {best.Id} misses {string.Join(", ", _constraints.Where(c => !c.IsSatisfied(measured.Metrics)))} at fidelity {_levels[r]}, "
                        + $"but would meet it with the median change of the trials promoted from there ({shift}): promoting it.");
                return measured;
            }
            level = 0;
            return null;
        }

        /// <summary>
        /// The trials of level <paramref name="r"/> as promotion judges them: their constrained metrics moved by the median
        /// change the trials promoted from that level so far showed at the next one, feasibility judged again. Accuracy
        /// rises with fine-tuning, so a screen that misses an accuracy bound by less than that is promoted as feasible
        /// ones are, and one far from the bound is not. Unchanged until <see cref="PairsForExpectation"/> promotions finished.
        /// </summary>
        private List<SweepTrial> Expected(List<SweepTrial> rung, int r, out string? shift)
        {
            shift = null;
            var parents = rung.Where(t => t.Succeeded).ToDictionary(t => t.Id);
            var pairs = _trials.Where(t => t.Succeeded && t.Fidelity == _levels[r + 1] && t.PromotedFrom is int p && parents.ContainsKey(p))
                .Select(t => (Parent: parents[t.PromotedFrom!.Value], Child: t)).ToList();
            if (pairs.Count < PairsForExpectation || _constraints.Count == 0) return rung;
            var change = _constraints.Select(c => c.Metric).Distinct(StringComparer.Ordinal)
                .ToDictionary(m => m, m => Median(pairs.Select(p => p.Child.Metrics[m] - p.Parent.Metrics[m]).ToList()), StringComparer.Ordinal);
            shift = string.Join(", ", change.Select(c => $"{c.Key} {(c.Value >= 0 ? "+" : "")}{SweepTrial.FormatMetric(c.Value)}"));
            return rung.Select(t => !t.Succeeded ? t
                : Judge(t with { Metrics = new SweepMetrics(t.Metrics.Select(m => KeyValuePair.Create(m.Key, m.Value + change.GetValueOrDefault(m.Key)))) })).ToList();
        }

        private static double Median(List<double> values)
        {
            values.Sort();
            int n = values.Count;
            return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
        }

        private double Elapsed => _replayedSeconds + _e.Time.GetElapsedTime(_start).TotalSeconds;

        /// <summary>
        /// Whether the time left is too short for a new configuration to climb every level, so the levels' fronts are
        /// promoted instead. A resumed sweep follows its checkpoint: a recorded promotion the quota does not explain was one.
        /// </summary>
        private bool Finishing()
        {
            int next = _trials.Count + 1;
            if (_replay.TryGetValue(next, out SweepTrial? recorded)) return recorded.PromotedFrom is not null;
            if (_e.MaxTime is not TimeSpan limit || _levels.Length < 2) return false;
            double? toTop = SecondsToTop();
            double left = limit.TotalSeconds - Elapsed;
            bool finishing = toTop is double need && left < need;
            if (finishing && !_finishing)
                _e.Log?.Invoke($"{left:0} s of the budget left, less than the {toTop:0} s a new configuration needs to reach fidelity {_levels[^1]}: promoting the levels' Pareto fronts first.");
            _finishing = finishing;
            return finishing;
        }

        // The mean seconds of a trial at each level, summed; a level without trials yet is estimated from the one below
        // in proportion to the fidelities. Null while there is nothing to estimate from.
        private double? SecondsToTop()
        {
            double total = 0, previous = double.NaN;
            for (int r = 0; r < _levels.Length; r++)
            {
                var seconds = _trials.Where(t => t.Succeeded && t.Fidelity == _levels[r]).Select(t => t.Seconds).ToList();
                double mean = seconds.Count > 0 ? seconds.Average()
                    : r > 0 && _levels[r - 1] > 0 && !double.IsNaN(previous) ? previous * _levels[r] / _levels[r - 1] : double.NaN;
                if (double.IsNaN(mean)) return null;
                total += mean;
                previous = mean;
            }
            return total;
        }

        private async Task<SweepTrial?> RunTrialAsync(int id, SweepConfiguration configuration, int level, int? parent)
        {
            if (_replay.TryGetValue(id, out SweepTrial? done))
            {
                if (done.Configuration.Key != configuration.Key || done.Fidelity != _levels[level] || done.PromotedFrom != parent)
                    throw new InvalidOperationException($"Trial {id} in the checkpoint ran {done.Configuration} at fidelity {done.Fidelity}, but the resumed sweep's trial {id} is {configuration} at fidelity {_levels[level]}: "
                        + "the evaluator's cost metric or the time budget must have differed. Use a new checkpoint folder.");
                _replayedSeconds += done.Seconds;
                _replay.Remove(id);
                _e.Log?.Invoke(Line(done with { OnFront = OnFrontWith(done) }) + " (from checkpoint)");
                return done;
            }

            string folder = TrialFolder(_artifacts, id);
            Directory.CreateDirectory(folder);
            var context = new SweepTrialContext(id, configuration, _levels[level], parent, folder, _token);
            _e.Monitor?.TrialStarted(context);
            long started = _e.Time.GetTimestamp();
            SweepMetrics? metrics = null;
            string? error = null;
            try
            {
                metrics = await _evaluate(context).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_token.IsCancellationRequested)
            {
                return null; // stopped part-way: nothing to record, the trial runs again on resume
            }
            catch (Exception ex)
            {
                error = ex.Message;
            }
            double seconds = _e.Time.GetElapsedTime(started).TotalSeconds;
            error ??= MissingMetric(metrics);
            var metricsCopy = error is null ? new SweepMetrics(metrics!) : new SweepMetrics();
            double cost = error is null && _e.CostMetric is string c && metricsCopy.TryGetValue(c, out double reported) && double.IsFinite(reported) ? reported : seconds;
            SweepTrial trial = Judge(new SweepTrial
            {
                Id = id, Configuration = configuration, Fidelity = _levels[level], PromotedFrom = parent,
                Metrics = metricsCopy, Seconds = seconds, Cost = cost, Error = error,
            });
            _checkpoint?.Append(SweepCheckpoint.ToJson(trial));
            SweepTrial shown = trial with { OnFront = OnFrontWith(trial) };
            if (trial.Succeeded) _e.Monitor?.TrialCompleted(shown); else _e.Monitor?.TrialFailed(shown);
            _e.Log?.Invoke(Line(shown));
            return trial;
        }

        private Func<SweepTrialContext, Task<SweepMetrics>> _evaluate => _e._evaluate;

        // The failed trial a configuration stands for when its precheck breaks a constraint, else null; once per configuration.
        private SweepTrial? Skipped(SweepConfiguration configuration)
        {
            if (_prechecked.TryGetValue(configuration.Key, out SweepTrial? known)) return known;
            var (bounds, broken) = Bounds(configuration);
            SweepTrial? skipped = null;
            if (broken.Count > 0)
            {
                string why = "skipped before running: " + string.Join(", ", broken.Select(c => $"{c.Metric} would be {SweepTrial.FormatMetric(bounds![c.Metric])} at best, against {c}"));
                skipped = new SweepTrial { Id = 0, Configuration = configuration, Fidelity = _levels[0], Error = why, Violation = double.PositiveInfinity };
                _skipped.Add(skipped);
                // The parameters off their defaults: a configuration of many parameters would fill lines.
                SweepConfiguration defaults = _e.Space.Defaults();
                var changed = configuration.Where(p => !defaults.TryGetValue(p.Key, out object? d) || !Equals(d, p.Value)).Select(p => $"{p.Key} = {SweepValues.Format(p.Value)}");
                _e.Log?.Invoke($"proposal ({string.Join(", ", changed)}): {why}");
            }
            _prechecked[configuration.Key] = skipped;
            return skipped;
        }

        // The precheck's bounds of a configuration and the constraints they break; once per configuration.
        private (SweepMetrics? Bounds, List<SweepConstraint> Broken) Bounds(SweepConfiguration configuration)
        {
            if (_bounds.TryGetValue(configuration.Key, out var known)) return known;
            SweepMetrics? bounds = _e.Precheck is null || _constraints.Count == 0 ? null : _e.Precheck(configuration);
            var broken = bounds is null ? new List<SweepConstraint>()
                : _constraints.Where(c => bounds.TryGetValue(c.Metric, out double x) && !double.IsNaN(x) && c.Violation(bounds) > 0).ToList();
            return _bounds[configuration.Key] = (bounds, broken);
        }

        private void Add(SweepTrial trial)
        {
            _trials.Add(trial);
            _byKeyAndLevel[KeyAt(trial.Configuration, Array.IndexOf(_levels, trial.Fidelity))] = trial;
            if (trial.PromotedFrom is int from) _promoted.Add(from);
        }

        private string KeyAt(SweepConfiguration c, int level) => _levels[level] + "|" + c.Key;

        private string? MissingMetric(SweepMetrics? metrics)
        {
            if (metrics is null) return "The evaluator returned no metrics.";
            foreach (string name in _objectives.Select(o => o.Metric).Concat(_constraints.Select(c => c.Metric)))
            {
                if (!metrics.TryGetValue(name, out double x))
                    return $"The evaluator did not report metric '{name}' (it reported {(metrics.Count == 0 ? "none" : string.Join(", ", metrics.Keys))}).";
                if (double.IsNaN(x)) return $"The evaluator reported NaN for metric '{name}'.";
            }
            return null;
        }

        private SweepTrial Judge(SweepTrial t)
        {
            double violation = t.Succeeded ? SweepConstraint.TotalViolation(_constraints, t.Metrics) : double.PositiveInfinity;
            return t with { Feasible = t.Succeeded && violation == 0, Violation = violation };
        }

        private bool OnFrontWith(SweepTrial trial) =>
            SweepResult.FrontOf(_trials.Append(trial).ToList(), _objectives).Any(t => t.Id == trial.Id);

        private string Line(SweepTrial t)
        {
            string head = $"trial {t.Id} (fidelity {t.Fidelity}): ";
            string seconds = $" | {t.Seconds:0.0} s".Replace(',', '.');
            if (!t.Succeeded) return head + "failed: " + t.Error + seconds;
            var shown = _objectives.Select(o => o.Metric).Concat(_constraints.Select(c => c.Metric)).Distinct();
            string metrics = string.Join(", ", shown.Select(m => m + " " + SweepTrial.FormatMetric(t.Metrics[m])));
            string state = t.Feasible ? "feasible" : "infeasible (" + string.Join(", ", _constraints.Where(c => !c.IsSatisfied(t.Metrics))) + " not met)";
            return head + metrics + " " + state + (t.OnFront ? ", on front" : "") + seconds;
        }

        private SweepConfiguration Validated(SweepConfiguration point, int index)
        {
            try { return _e.Space.Validate(point); }
            catch (ArgumentException ex) { throw new ArgumentException($"Initial point {index + 1} is not in the search space: {ex.Message}", ex); }
        }
    }
}

/// <summary>Why a sweep stopped.</summary>
public enum SweepStopReason
{
    /// <summary><see cref="SweepEngine.MaxTrials"/> trials ran.</summary>
    MaxTrials,

    /// <summary><see cref="SweepEngine.MaxTime"/> was spent.</summary>
    MaxTime,

    /// <summary>The tuner had nothing new to propose (a finished grid, or a small space fully evaluated).</summary>
    Exhausted,

    /// <summary>The cancellation token was cancelled.</summary>
    Cancelled,
}
