using System.Globalization;
using System.IO;
using System.Text;

namespace Microsoft.ML.Compression.Analysis.Sensitivity;

/// <summary>One layer or channel group compressed alone at one setting, and the validation accuracy that gave.</summary>
/// <param name="Target">The layer (weight widths) or channel group (prune rates).</param>
/// <param name="Kind"><c>bits</c> or <c>prune</c>.</param>
/// <param name="Setting">The width in bits, or the prune rate.</param>
/// <param name="Accuracy">Top-1 accuracy on the validation rows, 0 to 1.</param>
/// <param name="Drop">Baseline accuracy minus <paramref name="Accuracy"/>, in percentage points.</param>
public sealed record SensitivityRow(string Target, string Kind, double Setting, double Accuracy, double Drop)
{
    /// <summary>The column this row fills in the table and heatmap: "8 bit", "prune 50%".</summary>
    public string Column => Kind == SensitivityReport.Bits
        ? string.Create(CultureInfo.InvariantCulture, $"{Setting:0} bit")
        : string.Create(CultureInfo.InvariantCulture, $"prune {Setting * 100:0}%");
}

/// <summary>
/// Per-layer sensitivity: the uncompressed accuracy, and for every layer and setting the accuracy with only that one
/// compressed (no fine-tuning). A layer that keeps its accuracy at 2 bits or 75% pruning is where a sweep can start
/// aggressive. <see cref="ToCsv"/>, <see cref="SaveCsv"/> and <see cref="SaveHeatmap"/> write it out.
/// </summary>
public sealed class SensitivityReport
{
    internal const string Bits = "bits", Prune = "prune";

    internal SensitivityReport(string network, int rows, double baseline, IReadOnlyList<SensitivityRow> results)
    {
        Network = network;
        ValidationRows = rows;
        BaselineAccuracy = baseline;
        Rows = results;
    }

    /// <summary>The network analysed.</summary>
    public string Network { get; }

    /// <summary>Validation rows each setting was scored on.</summary>
    public int ValidationRows { get; }

    /// <summary>Accuracy of the uncompressed network on the same rows.</summary>
    public double BaselineAccuracy { get; }

    /// <summary>Every measured (target, setting), weight widths first, in layer order.</summary>
    public IReadOnlyList<SensitivityRow> Rows { get; }

    /// <summary>The layers and groups measured, in order.</summary>
    public IReadOnlyList<string> Targets => Rows.Select(r => r.Target).Distinct().ToList();

    /// <summary>The settings measured, in order ("8 bit" ... "prune 75%").</summary>
    public IReadOnlyList<string> Columns => Rows.Select(r => r.Column).Distinct().ToList();

    /// <summary>The row of <paramref name="target"/> at setting <paramref name="column"/>, or null where it was not measured.</summary>
    internal SensitivityRow? Find(string target, string column) => Rows.FirstOrDefault(r => r.Target == target && r.Column == column);

    /// <summary>The fewest bits at which <paramref name="layer"/> alone loses at most <paramref name="maxDropPoints"/>; null when no width measured does.</summary>
    public int? FewestBits(string layer, double maxDropPoints) =>
        Rows.Where(r => r.Kind == Bits && r.Target == layer && r.Drop <= maxDropPoints).Select(r => (int?)(int)r.Setting).Min();

    /// <summary>The largest prune rate at which <paramref name="group"/> alone loses at most <paramref name="maxDropPoints"/>; 0 when none measured does.</summary>
    public double LargestPruneRate(string group, double maxDropPoints) =>
        Rows.Where(r => r.Kind == Prune && r.Target == group && r.Drop <= maxDropPoints).Select(r => r.Setting).DefaultIfEmpty(0).Max();

    /// <summary>One line per row: target, kind, setting, accuracy, drop in points.</summary>
    public string ToCsv()
    {
        var csv = new StringBuilder("target,kind,setting,accuracy,drop_points\n");
        foreach (SensitivityRow r in Rows)
            csv.Append(string.Create(CultureInfo.InvariantCulture, $"{Quote(r.Target)},{r.Kind},{r.Setting},{r.Accuracy:0.######},{r.Drop:0.###}\n"));
        return csv.ToString();
    }

    /// <summary>Writes <see cref="ToCsv"/> to <paramref name="path"/>.</summary>
    public void SaveCsv(string path) => File.WriteAllText(path, ToCsv());

    /// <summary>Writes a heatmap PNG: targets down, settings across, colour = accuracy drop in points.</summary>
    public void SaveHeatmap(string path, int width = 720, int? height = null) => SensitivityHeatmap.Save(this, path, width, height);

    /// <summary>The table: one row per target, the accuracy drop in points per setting.</summary>
    public override string ToString()
    {
        var (targets, columns) = (Targets, Columns);
        var text = new StringBuilder(string.Create(CultureInfo.InvariantCulture,
            $"Sensitivity of {Network} on {ValidationRows:N0} validation rows (baseline {BaselineAccuracy:P2}); accuracy drop in points, one layer or group compressed at a time, no fine-tuning\n"));
        int nameWidth = Math.Max(6, targets.Max(t => t.Length));
        text.Append("target".PadRight(nameWidth)).Append(string.Concat(columns.Select(c => " | " + c.PadLeft(9)))).Append('\n');
        foreach (string target in targets)
        {
            text.Append(target.PadRight(nameWidth));
            foreach (string column in columns)
            {
                SensitivityRow? row = Find(target, column);
                text.Append(" | ").Append((row is null ? "" : row.Drop.ToString("0.00", CultureInfo.InvariantCulture)).PadLeft(9));
            }
            text.Append('\n');
        }
        return text.ToString();
    }

    private static string Quote(string value) => value.Contains(',') || value.Contains('"') ? "\"" + value.Replace("\"", "\"\"") + "\"" : value;
}
