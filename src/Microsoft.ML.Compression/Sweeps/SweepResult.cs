using System.Globalization;
using System.IO;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Microsoft.ML.Compression.Sweeps;

/// <summary>
/// Every trial of a sweep, its Pareto front and its best trial. Each configuration counts with its highest-fidelity
/// completed result (a low-fidelity screen does not compete with full runs of the same configuration).
/// </summary>
public sealed class SweepResult
{
    internal SweepResult(IReadOnlyList<SweepTrial> trials, IReadOnlyList<SweepObjective> objectives, IReadOnlyList<SweepConstraint> constraints, SweepStopReason reason,
        string artifactFolder)
    {
        ArtifactFolder = artifactFolder;
        Objectives = objectives;
        Constraints = constraints;
        StopReason = reason;
        var front = FrontOf(trials, objectives).Select(t => t.Id).ToHashSet();
        Trials = trials.Select(t => t with { OnFront = front.Contains(t.Id) }).ToList();
        ParetoFront = Trials.Where(t => t.OnFront).ToList();
        List<SweepTrial> latest = Latest(Trials);
        Best = latest.Where(t => t.Feasible).OrderBy(t => objectives[0].Loss(t.Metrics)).ThenBy(t => t.Id).FirstOrDefault();
        BestEffort = Best ?? latest.OrderBy(t => t.Violation).ThenBy(t => objectives[0].Loss(t.Metrics)).ThenBy(t => t.Id).FirstOrDefault();
    }

    /// <summary>The folder holding each trial's artifact folder: the checkpoint folder, or a temporary one without a checkpoint.</summary>
    public string ArtifactFolder { get; }

    /// <summary>The folder <paramref name="trial"/>'s evaluator wrote its artifacts to (see <see cref="SweepTrialContext.Folder"/>).</summary>
    public string FolderOf(SweepTrial trial) => SweepEngine.TrialFolder(ArtifactFolder, (trial ?? throw new ArgumentNullException(nameof(trial))).Id);

    /// <summary>Every trial in the order run, with <see cref="SweepTrial.OnFront"/> set.</summary>
    public IReadOnlyList<SweepTrial> Trials { get; }

    /// <summary>
    /// The non-dominated trials among the feasible completed ones at each configuration's highest fidelity (among all
    /// completed ones when none is feasible), in trial order.
    /// </summary>
    public IReadOnlyList<SweepTrial> ParetoFront { get; }

    /// <summary>The feasible trial best on the first objective (at each configuration's highest fidelity); null when none is feasible.</summary>
    public SweepTrial? Best { get; }

    /// <summary><see cref="Best"/>, else the completed trial that violates the constraints least; null only when no trial completed.</summary>
    public SweepTrial? BestEffort { get; }

    /// <summary>The objectives.</summary>
    public IReadOnlyList<SweepObjective> Objectives { get; }

    /// <summary>The constraints.</summary>
    public IReadOnlyList<SweepConstraint> Constraints { get; }

    /// <summary>
    /// The tuner's proposals not run because <see cref="SweepEngine.Precheck"/> showed they break a constraint, each as
    /// a failed trial (id 0) whose error says which bound and by how much, in the order proposed.
    /// </summary>
    public IReadOnlyList<SweepTrial> Skipped { get; init; } = Array.Empty<SweepTrial>();

    /// <summary>Why the sweep stopped.</summary>
    public SweepStopReason StopReason { get; }

    /// <summary>One row per trial: id, fidelity, the configuration's parameters, every metric, seconds, cost, feasible, on_front, error.</summary>
    public string ToCsv()
    {
        List<string> parameters = Trials.SelectMany(t => t.Configuration.Keys).Distinct().ToList();
        List<string> metrics = Trials.SelectMany(t => t.Metrics.Keys).Distinct().ToList();
        var csv = new StringBuilder();
        csv.AppendJoin(',', new[] { "id", "fidelity" }.Concat(parameters).Concat(metrics).Concat(new[] { "seconds", "cost", "feasible", "on_front", "error" }).Select(Quote)).Append('\n');
        foreach (SweepTrial t in Trials)
        {
            var cells = new List<string> { t.Id.ToString(CultureInfo.InvariantCulture), t.Fidelity.ToString(CultureInfo.InvariantCulture) };
            cells.AddRange(parameters.Select(p => t.Configuration.TryGetValue(p, out object? v) ? SweepValues.Format(v) : ""));
            cells.AddRange(metrics.Select(m => t.Metrics.TryGetValue(m, out double x) ? x.ToString("R", CultureInfo.InvariantCulture) : ""));
            cells.Add(t.Seconds.ToString("0.###", CultureInfo.InvariantCulture));
            cells.Add(t.Cost.ToString("R", CultureInfo.InvariantCulture));
            cells.Add(t.Feasible ? "true" : "false");
            cells.Add(t.OnFront ? "true" : "false");
            cells.Add(t.Error ?? "");
            csv.AppendJoin(',', cells.Select(Quote)).Append('\n');
        }
        return csv.ToString();
    }

    /// <summary>Writes <see cref="ToCsv"/> to <paramref name="path"/>.</summary>
    public void SaveCsv(string path) => File.WriteAllText(PrepareFolder(path), ToCsv());

    /// <summary>
    /// Writes the result as JSON: objectives, constraints, stop reason, every trial (typed configuration, metrics,
    /// seconds, cost, feasible, on front, error), the front's and the best trials' ids.
    /// </summary>
    public void SaveJson(string path)
    {
        var o = new JsonObject
        {
            ["objectives"] = new JsonArray(Objectives.Select(x => (JsonNode?)new JsonObject { ["metric"] = x.Metric, ["maximize"] = x.Maximize }).ToArray()),
            ["constraints"] = new JsonArray(Constraints.Select(c => (JsonNode?)new JsonObject { ["metric"] = c.Metric, ["bound"] = c.Bound, ["atLeast"] = c.IsLowerBound }).ToArray()),
            ["stopReason"] = StopReason.ToString(),
            ["trials"] = new JsonArray(Trials.Select(t =>
            {
                JsonObject j = SweepCheckpoint.ToJson(t);
                j["feasible"] = t.Feasible;
                j["onFront"] = t.OnFront;
                return (JsonNode?)j;
            }).ToArray()),
            ["paretoFront"] = new JsonArray(ParetoFront.Select(t => (JsonNode?)JsonValue.Create(t.Id)).ToArray()),
            ["best"] = Best?.Id,
            ["bestEffort"] = BestEffort?.Id,
        };
        File.WriteAllText(PrepareFolder(path), o.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>
    /// Draws <paramref name="yMetric"/> against <paramref name="xMetric"/> as a PNG: every completed trial grey, the
    /// feasible ones coloured by <paramref name="colourMetric"/> (blue without one), the Pareto front connected and
    /// ringed, and optional labelled <paramref name="references"/> (e.g. hand-tuned settings) as black diamonds.
    /// </summary>
    public void SaveParetoPlot(string path, string xMetric, string yMetric, string? colourMetric = null,
        IEnumerable<(string Label, double X, double Y)>? references = null, int width = 800, int height = 600) =>
        SweepPlot.Save(this, PrepareFolder(path), xMetric, yMetric, colourMetric, references?.ToList() ?? new(), width, height);

    /// <summary>Each configuration's completed trial at its highest fidelity.</summary>
    internal static List<SweepTrial> Latest(IEnumerable<SweepTrial> trials) =>
        trials.Where(t => t.Succeeded).GroupBy(t => t.Configuration.Key).Select(g => g.OrderByDescending(t => t.Fidelity).First()).OrderBy(t => t.Id).ToList();

    /// <summary>The front as <see cref="ParetoFront"/> defines it.</summary>
    internal static IReadOnlyList<SweepTrial> FrontOf(IReadOnlyList<SweepTrial> trials, IReadOnlyList<SweepObjective> objectives)
    {
        List<SweepTrial> latest = Latest(trials);
        List<SweepTrial> pool = latest.Any(t => t.Feasible) ? latest.Where(t => t.Feasible).ToList() : latest;
        return Sweeps.ParetoFront.Of(pool, t => t.Metrics, objectives);
    }

    private static string PrepareFolder(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null) Directory.CreateDirectory(folder);
        return path;
    }

    private static string Quote(string value) => value.IndexOfAny(new[] { ',', '"', '\n', '\r' }) >= 0 ? "\"" + value.Replace("\"", "\"\"") + "\"" : value;
}
