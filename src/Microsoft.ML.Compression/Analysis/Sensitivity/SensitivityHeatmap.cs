using System.Globalization;
using System.IO;
using SkiaSharp;

namespace Microsoft.ML.Compression.Analysis.Sensitivity;

/// <summary>
/// Draws a <see cref="SensitivityReport"/> as a heatmap PNG: one row per layer or group, one column per setting, each
/// cell coloured by its accuracy drop (white = none, through yellow and red to dark red = the largest) and labelled
/// with it. Drawn with SkiaSharp, the library ML.NET's image transforms already load (a plotting package would bring
/// its own SkiaSharp version and break them).
/// </summary>
internal static class SensitivityHeatmap
{
    private const float Cell = 78, RowHeight = 22, Margin = 12, TitleHeight = 30, HeaderHeight = 24, LegendHeight = 40;

    public static void Save(SensitivityReport report, string path, int width, int? height)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var targets = report.Targets;
        var columns = report.Columns;
        double highest = Math.Max(1, report.Rows.Max(r => r.Drop));
        int h = height ?? (int)(TitleHeight + HeaderHeight + RowHeight * targets.Count + LegendHeight + 2 * Margin);

        using var bitmap = new SKBitmap(width, h);
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(SKColors.White);
        using var text = new SKPaint { Color = SKColors.Black, IsAntialias = true, TextSize = 12 };
        using var title = new SKPaint { Color = SKColors.Black, IsAntialias = true, TextSize = 14, FakeBoldText = true };
        using var fill = new SKPaint { Style = SKPaintStyle.Fill };
        using var grid = new SKPaint { Color = new SKColor(210, 210, 210), Style = SKPaintStyle.Stroke };

        canvas.DrawText($"{report.Network}: accuracy drop (points) with one layer compressed, baseline {report.BaselineAccuracy.ToString("P2", CultureInfo.InvariantCulture)}",
            Margin, Margin + 16, title);
        float labelWidth = targets.Count == 0 ? 0 : targets.Max(t => text.MeasureText(t)) + 10;
        float cell = Math.Max(28, Math.Min(Cell, (width - 2 * Margin - labelWidth) / Math.Max(1, columns.Count)));
        float top = Margin + TitleHeight, left = Margin + labelWidth;
        for (int c = 0; c < columns.Count; c++)
            DrawCentered(canvas, columns[c], left + (c + 0.5f) * cell, top + 16, text);
        top += HeaderHeight;
        for (int t = 0; t < targets.Count; t++)
        {
            float y = top + t * RowHeight;
            canvas.DrawText(targets[t], Margin, y + 15, text);
            for (int c = 0; c < columns.Count; c++)
            {
                SensitivityRow? row = report.Find(targets[t], columns[c]);
                var rect = new SKRect(left + c * cell, y, left + (c + 1) * cell, y + RowHeight);
                if (row is null) continue;
                fill.Color = ColorOf(row.Drop / highest);
                canvas.DrawRect(rect, fill);
                canvas.DrawRect(rect, grid);
                text.Color = row.Drop / highest > 0.6 ? SKColors.White : SKColors.Black;
                DrawCentered(canvas, row.Drop.ToString("0.0", CultureInfo.InvariantCulture), rect.MidX, y + 15, text);
                text.Color = SKColors.Black;
            }
        }

        // Legend: the colour scale from 0 to the largest drop.
        float legendTop = top + targets.Count * RowHeight + 12, legendWidth = Math.Min(300, width - 2 * Margin - 80);
        for (int i = 0; i < (int)legendWidth; i++)
        {
            fill.Color = ColorOf(i / legendWidth);
            canvas.DrawRect(new SKRect(Margin + i, legendTop, Margin + i + 1, legendTop + 12), fill);
        }
        canvas.DrawText("0", Margin, legendTop + 26, text);
        DrawCentered(canvas, highest.ToString("0.0", CultureInfo.InvariantCulture) + " points", Margin + legendWidth, legendTop + 26, text);

        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null) Directory.CreateDirectory(folder);
        using SKData png = SKImage.FromBitmap(bitmap).Encode(SKEncodedImageFormat.Png, 100);
        using FileStream file = File.Create(path);
        png.SaveTo(file);
    }

    private static void DrawCentered(SKCanvas canvas, string value, float x, float baseline, SKPaint paint) =>
        canvas.DrawText(value, x - paint.MeasureText(value) / 2, baseline, paint);

    /// <summary>White at 0, yellow, red, dark red at 1 (values outside clamp; a negative drop is white).</summary>
    private static SKColor ColorOf(double t)
    {
        t = Math.Clamp(t, 0, 1);
        (double r, double g, double b) = t < 1.0 / 3 ? Mix((255, 255, 255), (255, 220, 60), t * 3)
            : t < 2.0 / 3 ? Mix((255, 220, 60), (220, 40, 30), t * 3 - 1)
            : Mix((220, 40, 30), (100, 0, 10), t * 3 - 2);
        return new SKColor((byte)r, (byte)g, (byte)b);
    }

    private static (double, double, double) Mix((double R, double G, double B) a, (double R, double G, double B) b, double f) =>
        (a.R + (b.R - a.R) * f, a.G + (b.G - a.G) * f, a.B + (b.B - a.B) * f);
}
