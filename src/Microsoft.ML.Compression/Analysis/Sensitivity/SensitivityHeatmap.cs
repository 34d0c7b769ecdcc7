using System.IO;
using ScottPlot;

namespace Microsoft.ML.Compression.Analysis.Sensitivity;

/// <summary>Draws a <see cref="SensitivityReport"/> as a heatmap: one row per layer or group, one column per setting.</summary>
internal static class SensitivityHeatmap
{
    public static void Save(SensitivityReport report, string path, int width, int? height)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var targets = report.Targets;
        var columns = report.Columns;
        // ScottPlot draws the first row of the matrix at the top.
        var drops = new double[targets.Count, columns.Count];
        for (int t = 0; t < targets.Count; t++)
            for (int c = 0; c < columns.Count; c++)
                drops[t, c] = report.Rows.FirstOrDefault(r => r.Target == targets[t] && r.Column == columns[c])?.Drop ?? double.NaN;

        var plot = new Plot();
        var heatmap = plot.Add.Heatmap(drops);
        heatmap.Colormap = new ScottPlot.Colormaps.Turbo();
        heatmap.NaNCellColor = Colors.White;
        var bar = plot.Add.ColorBar(heatmap);
        bar.Label = "accuracy drop (points)";
        plot.Title($"{report.Network}: accuracy drop with one layer compressed (baseline {report.BaselineAccuracy:P2})");
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, columns.Count).Select(c => (double)c).ToArray(), columns.ToArray());
        plot.Axes.Left.SetTicks(Enumerable.Range(0, targets.Count).Select(t => (double)(targets.Count - 1 - t)).ToArray(), targets.ToArray());
        double lowest = drops.Cast<double>().Where(d => !double.IsNaN(d)).DefaultIfEmpty(0).Min();
        double highest = drops.Cast<double>().Where(d => !double.IsNaN(d)).DefaultIfEmpty(1).Max();
        for (int t = 0; t < targets.Count; t++)
            for (int c = 0; c < columns.Count; c++)
                if (!double.IsNaN(drops[t, c]))
                {
                    var label = plot.Add.Text(drops[t, c].ToString("0.0", System.Globalization.CultureInfo.InvariantCulture), c, targets.Count - 1 - t);
                    label.Alignment = Alignment.MiddleCenter;
                    label.LabelFontSize = 10;
                    // Turbo is dark at both ends: white figures there, black in the bright middle.
                    double position = highest > lowest ? (drops[t, c] - lowest) / (highest - lowest) : 0;
                    label.LabelFontColor = position < 0.2 || position > 0.85 ? Colors.White : Colors.Black;
                }
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null) Directory.CreateDirectory(folder);
        plot.SavePng(path, width, height ?? Math.Max(300, 120 + 22 * targets.Count));
    }
}
