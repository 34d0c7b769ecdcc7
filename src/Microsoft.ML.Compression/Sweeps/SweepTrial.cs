using System.Globalization;

namespace Microsoft.ML.Compression.Sweeps;

/// <summary>One evaluation of a configuration at a fidelity: its metrics, or the error that stopped it.</summary>
public sealed record SweepTrial
{
    /// <summary>The trial's number, from 1, in the order the sweep ran them.</summary>
    public required int Id { get; init; }

    /// <summary>The configuration evaluated.</summary>
    public required SweepConfiguration Configuration { get; init; }

    /// <summary>The fidelity it ran at (e.g. fine-tuning epochs); 0 for a sweep without fidelities.</summary>
    public int Fidelity { get; init; }

    /// <summary>The trial at the previous fidelity this one was promoted from (successive halving); null for a new configuration.</summary>
    public int? PromotedFrom { get; init; }

    /// <summary>The metrics reported; empty for a failed trial.</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new SweepMetrics();

    /// <summary>Wall-clock seconds of the evaluation, measured by the engine.</summary>
    public double Seconds { get; init; }

    /// <summary>The cost tuners see: the engine's cost metric when set and reported, else <see cref="Seconds"/>.</summary>
    public double Cost { get; init; }

    /// <summary>Why the trial failed (the exception's message), or null when it completed.</summary>
    public string? Error { get; init; }

    /// <summary>Whether the evaluator returned metrics for every objective and constraint.</summary>
    public bool Succeeded => Error is null;

    /// <summary>Completed and meeting every constraint.</summary>
    public bool Feasible { get; init; }

    /// <summary>Total normalised constraint violation (0 when feasible, infinity when failed).</summary>
    public double Violation { get; init; }

    /// <summary>Whether the trial is on the sweep's Pareto front (set in results and logs).</summary>
    public bool OnFront { get; init; }

    /// <summary>"trial 7 (fidelity 1): accuracy 0.9123, bytes 104,233".</summary>
    public override string ToString() =>
        $"trial {Id} (fidelity {Fidelity}): " + (Error is not null ? "failed: " + Error
            : string.Join(", ", Metrics.Select(m => m.Key + " " + FormatMetric(m.Value))));

    internal static string FormatMetric(double x) =>
        Math.Abs(x) >= 1000 && x == Math.Floor(x) ? x.ToString("N0", CultureInfo.InvariantCulture)
        : Math.Abs(x) >= 1000 ? x.ToString("N1", CultureInfo.InvariantCulture)
        : x.ToString("0.####", CultureInfo.InvariantCulture);
}
