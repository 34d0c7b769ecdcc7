using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.Compression.Sweeps;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Microsoft.ML.Compression.Cli.Output;

/// <summary>
/// Shows a sweep's trials on stderr as it runs them: one plain line per finished trial when stderr is redirected (or
/// with --plain), else a live Spectre.Console table of the trials so far with the Pareto front marked. It is the
/// sweep's <see cref="ISweepMonitor"/>, and it asks the sweep to stop after the running trial when Ctrl+C was pressed.
/// </summary>
public sealed class SweepDisplay : ISweepMonitor
{
    // Rows the live table shows (the latest ones); the plain lines and trials.csv have them all.
    private const int ShownRows = 25;

    private readonly IAnsiConsole? _console;
    private readonly IReadOnlyList<SweepObjective> _objectives;
    private readonly Action _stop;
    private readonly object _gate = new();
    private readonly List<SweepTrial> _done = new();
    private readonly Stopwatch _trialClock = new();
    private LiveDisplayContext? _live;
    private string? _running;
    private volatile bool _stopRequested;

    /// <summary>
    /// A display on <paramref name="console"/> (null: plain lines) ranking trials by <paramref name="objectives"/>;
    /// <paramref name="stop"/> cancels the sweep (called after the running trial once <see cref="RequestStop"/> was).
    /// </summary>
    public SweepDisplay(IAnsiConsole? console, IReadOnlyList<SweepObjective> objectives, Action stop)
    {
        _console = console;
        _objectives = objectives;
        _stop = stop;
    }

    /// <summary>The id of the trial being evaluated, or null between trials.</summary>
    public int? RunningTrial { get; private set; }

    /// <summary>Trials this process evaluated, in order (the ones replayed from a checkpoint are not among them).</summary>
    public List<int> Evaluated { get; } = new();

    /// <summary>A one-line note above the table (or a plain line).</summary>
    public void Note(string text)
    {
        if (_console is null)
        {
            Console.Error.WriteLine(text);
            return;
        }
        lock (_gate) _console.MarkupLine("[grey]" + Markup.Escape(text) + "[/]");
    }

    /// <summary>
    /// Ctrl+C: stop after the running trial (true), or nothing is running and the caller should cancel at once (false).
    /// </summary>
    public bool RequestStop()
    {
        if (RunningTrial is not int id || _stopRequested) return false;
        _stopRequested = true;
        Note($"Ctrl+C: stopping after trial {id}; press Ctrl+C again to stop at once (trial {id} then runs again on resume).");
        Refresh();
        return true;
    }

    /// <summary>Runs <paramref name="sweep"/> under the live table (on a terminal) or as is.</summary>
    public T Run<T>(Func<T> sweep)
    {
        if (_console is null) return sweep();
        T result = default!;
        _console.Live(Build()).AutoClear(false).Overflow(VerticalOverflow.Ellipsis).Start(ctx =>
        {
            lock (_gate) _live = ctx;
            try
            {
                result = sweep();
            }
            finally
            {
                lock (_gate)
                {
                    _running = null;
                    ctx.UpdateTarget(Build());
                    _live = null;
                }
            }
        });
        return result;
    }

    /// <inheritdoc />
    public void TrialStarted(SweepTrialContext trial)
    {
        RunningTrial = trial.Id;
        Evaluated.Add(trial.Id);
        _trialClock.Restart();
        lock (_gate) _running = $"trial {trial.Id}: {CompressionSearchSpace.Decode(trial.Configuration, trial.Fidelity)}";
        Refresh();
    }

    /// <inheritdoc />
    public void TrialCompleted(SweepTrial trial) => Finished(trial);

    /// <inheritdoc />
    public void TrialFailed(SweepTrial trial) => Finished(trial);

    private void Finished(SweepTrial trial)
    {
        RunningTrial = null;
        lock (_gate)
        {
            _done.Add(trial);
            _running = null;
        }
        if (_console is null) Console.Error.WriteLine(Line(trial));
        Refresh();
        if (_stopRequested) _stop();
    }

    /// <summary>
    /// "trial 3 [l1 50% + int8, 1 epoch]: accuracy 98.10%, bytes ratio 0.287, speed-up 1.21x, feasible, on front, 4.2 s".
    /// </summary>
    public static string Line(SweepTrial t)
    {
        string head = $"trial {t.Id} [{CompressionSweepResult.SettingsOf(t)}]: ";
        string seconds = t.Seconds.ToString("0.0", CultureInfo.InvariantCulture) + " s";
        if (!t.Succeeded) return head + "failed: " + t.Error + ", " + seconds;
        return head + string.Create(CultureInfo.InvariantCulture,
            $"accuracy {t.Metrics[CompressionMetrics.Accuracy]:P2}, bytes ratio {t.Metrics[CompressionMetrics.BytesRatio]:0.000}, speed-up {t.Metrics[CompressionMetrics.SpeedUp]:0.00}x, ")
            + (t.Feasible ? "feasible" : "infeasible") + (t.OnFront ? ", on front" : "") + ", " + seconds;
    }

    private void Refresh()
    {
        lock (_gate) _live?.UpdateTarget(Build());
    }

    // The table of the trials so far; the front is recomputed over all of them (a later trial can push one off it).
    private IRenderable Build()
    {
        HashSet<int> front = Front();
        // Compact enough for an 80-column terminal: no vertical rules, short headers (the caption explains them).
        var table = new Table().Border(TableBorder.Simple);
        table.AddColumn("trial", c => c.RightAligned());
        table.AddColumn("settings");
        table.AddColumn("accuracy", c => c.RightAligned());
        table.AddColumn("size", c => c.RightAligned());
        table.AddColumn("speed-up", c => c.RightAligned());
        table.AddColumn("feasible");
        table.AddColumn("front");
        table.AddColumn("s", c => c.RightAligned());
        foreach (SweepTrial t in _done.Skip(Math.Max(0, _done.Count - ShownRows)))
        {
            string settings = Markup.Escape(CompressionSweepResult.SettingsOf(t).ToString());
            string seconds = t.Seconds.ToString("0.0", CultureInfo.InvariantCulture);
            if (!t.Succeeded)
            {
                table.AddRow(t.Id.ToString(CultureInfo.InvariantCulture), settings, "[red]failed[/]", "", "", "", "", seconds);
                continue;
            }
            bool onFront = front.Contains(t.Id);
            string Bold(string s) => onFront ? "[bold]" + s + "[/]" : s;
            table.AddRow(
                Bold(t.Id.ToString(CultureInfo.InvariantCulture)), Bold(settings),
                Bold((100 * t.Metrics[CompressionMetrics.Accuracy]).ToString("0.00", CultureInfo.InvariantCulture) + "%"),
                (100 * t.Metrics[CompressionMetrics.BytesRatio]).ToString("0.0", CultureInfo.InvariantCulture) + "%",
                t.Metrics[CompressionMetrics.SpeedUp].ToString("0.00", CultureInfo.InvariantCulture) + "x",
                t.Feasible ? "[green]yes[/]" : "[yellow]no[/]",
                onFront ? "[green]*[/]" : "", seconds);
        }
        string status = (_running is null ? $"{_done.Count} trial(s) run" : $"{_done.Count} trial(s) run; running {_running}")
            + "\nsize and speed-up against the starting model; *: on the Pareto front";
        if (_stopRequested) status += " (stopping after it: Ctrl+C)";
        table.Caption(Markup.Escape(status));
        return table;
    }

    private HashSet<int> Front()
    {
        // As SweepResult defines it: each configuration at its highest fidelity, the feasible ones when there are any.
        var latest = _done.Where(t => t.Succeeded).GroupBy(t => t.Configuration.Key).Select(g => g.OrderByDescending(t => t.Fidelity).First()).ToList();
        var pool = latest.Any(t => t.Feasible) ? latest.Where(t => t.Feasible).ToList() : latest;
        return ParetoFront.Of(pool, t => t.Metrics, _objectives).Select(t => t.Id).ToHashSet();
    }
}
