using System.Globalization;
using System.IO;
using SkiaSharp;

namespace Microsoft.ML.Compression.Sweeps;

/// <summary>
/// Draws a sweep's trials on two metrics as a PNG with SkiaSharp (the library ML.NET's image transforms load; a
/// plotting package would bring its own SkiaSharp and break them).
/// </summary>
internal static class SweepPlot
{
    private const float Left = 80, Right = 110, Top = 40, Bottom = 60;

    public static void Save(SweepResult result, string path, string xMetric, string yMetric, string? colourMetric,
        IReadOnlyList<(string Label, double X, double Y)> references, int width, int height)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(xMetric);
        ArgumentException.ThrowIfNullOrWhiteSpace(yMetric);
        if (width < 300 || height < 200) throw new ArgumentOutOfRangeException(nameof(width), "The plot needs at least 300 x 200 pixels.");
        List<SweepTrial> shown = result.Trials.Where(t => t.Succeeded && Has(t, xMetric) && Has(t, yMetric)).ToList();
        var xs = shown.Select(t => t.Metrics[xMetric]).Concat(references.Select(r => r.X)).Where(double.IsFinite).ToList();
        var ys = shown.Select(t => t.Metrics[yMetric]).Concat(references.Select(r => r.Y)).Where(double.IsFinite).ToList();
        (double x0, double x1) = Bounds(xs);
        (double y0, double y1) = Bounds(ys);
        float plotW = width - Left - Right, plotH = height - Top - Bottom;
        float X(double v) => Left + (float)((v - x0) / (x1 - x0)) * plotW;
        float Y(double v) => Top + plotH - (float)((v - y0) / (y1 - y0)) * plotH;

        using var bitmap = new SKBitmap(width, height);
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(SKColors.White);
        using var text = new SKPaint { Color = SKColors.Black, IsAntialias = true, TextSize = 12 };
        using var title = new SKPaint { Color = SKColors.Black, IsAntialias = true, TextSize = 14, FakeBoldText = true };
        using var axis = new SKPaint { Color = SKColors.Black, Style = SKPaintStyle.Stroke, StrokeWidth = 1, IsAntialias = true };
        using var grid = new SKPaint { Color = new SKColor(230, 230, 230), Style = SKPaintStyle.Stroke };
        using var fill = new SKPaint { Style = SKPaintStyle.Fill, IsAntialias = true };
        using var ring = new SKPaint { Color = new SKColor(200, 30, 30), Style = SKPaintStyle.Stroke, StrokeWidth = 2, IsAntialias = true };

        canvas.DrawText($"{yMetric} against {xMetric}: {shown.Count} trials, {result.ParetoFront.Count} on the Pareto front", Left, 24, title);
        canvas.DrawRect(new SKRect(Left, Top, Left + plotW, Top + plotH), axis);
        foreach (double tick in Ticks(x0, x1))
        {
            float px = X(tick);
            canvas.DrawLine(px, Top, px, Top + plotH, grid);
            canvas.DrawLine(px, Top + plotH, px, Top + plotH + 5, axis);
            Centered(canvas, Label(tick), px, Top + plotH + 18, text);
        }
        foreach (double tick in Ticks(y0, y1))
        {
            float py = Y(tick);
            canvas.DrawLine(Left, py, Left + plotW, py, grid);
            canvas.DrawLine(Left - 5, py, Left, py, axis);
            string label = Label(tick);
            canvas.DrawText(label, Left - 8 - text.MeasureText(label), py + 4, text);
        }
        Centered(canvas, AxisName(result, xMetric), Left + plotW / 2, height - 18, text);
        canvas.Save();
        canvas.RotateDegrees(-90, 18, Top + plotH / 2);
        Centered(canvas, AxisName(result, yMetric), 18, Top + plotH / 2, text);
        canvas.Restore();

        // Colour scale of the feasible trials.
        var colours = shown.Where(t => t.Feasible && colourMetric is not null && Has(t, colourMetric)).Select(t => t.Metrics[colourMetric!]).ToList();
        (double c0, double c1) = colours.Count == 0 ? (0, 1) : (colours.Min(), colours.Max());
        foreach (SweepTrial t in shown.OrderBy(t => t.Feasible))
        {
            fill.Color = !t.Feasible ? new SKColor(180, 180, 180)
                : colourMetric is not null && Has(t, colourMetric) ? Viridis(c1 > c0 ? (t.Metrics[colourMetric] - c0) / (c1 - c0) : 0.5)
                : new SKColor(40, 100, 200);
            canvas.DrawCircle(X(t.Metrics[xMetric]), Y(t.Metrics[yMetric]), t.Feasible ? 5 : 4, fill);
        }

        // The front, joined in order of x.
        var front = result.ParetoFront.Where(t => Has(t, xMetric) && Has(t, yMetric)).OrderBy(t => t.Metrics[xMetric]).ToList();
        for (int i = 1; i < front.Count; i++)
            canvas.DrawLine(X(front[i - 1].Metrics[xMetric]), Y(front[i - 1].Metrics[yMetric]), X(front[i].Metrics[xMetric]), Y(front[i].Metrics[yMetric]), ring);
        foreach (SweepTrial t in front) canvas.DrawCircle(X(t.Metrics[xMetric]), Y(t.Metrics[yMetric]), 8, ring);

        fill.Color = SKColors.Black;
        foreach (var (label, x, y) in references.Where(r => double.IsFinite(r.X) && double.IsFinite(r.Y)))
        {
            float px = X(x), py = Y(y);
            using var diamond = new SKPath();
            diamond.MoveTo(px, py - 7);
            diamond.LineTo(px + 7, py);
            diamond.LineTo(px, py + 7);
            diamond.LineTo(px - 7, py);
            diamond.Close();
            canvas.DrawPath(diamond, fill);
            canvas.DrawText(label, px + 9, py - 6, text);
        }

        // Legend: colour bar for the colour metric, then the markers' meaning.
        float lx = Left + plotW + 20;
        if (colourMetric is not null && colours.Count > 0)
        {
            for (int i = 0; i < 120; i++)
            {
                fill.Color = Viridis(1 - i / 119.0);
                canvas.DrawRect(new SKRect(lx, Top + i, lx + 14, Top + i + 1), fill);
            }
            canvas.DrawText(Label(c1), lx + 18, Top + 10, text);
            canvas.DrawText(Label(c0), lx + 18, Top + 120, text);
            canvas.DrawText(colourMetric, lx, Top + 138, text);
        }
        float ly = Top + 170;
        fill.Color = new SKColor(180, 180, 180);
        canvas.DrawCircle(lx + 6, ly - 4, 4, fill);
        canvas.DrawText("infeasible", lx + 16, ly, text);
        canvas.DrawCircle(lx + 6, ly + 16, 8, ring);
        canvas.DrawText("front", lx + 16, ly + 20, text);

        using SKData png = SKImage.FromBitmap(bitmap).Encode(SKEncodedImageFormat.Png, 100);
        using FileStream file = File.Create(path);
        png.SaveTo(file);
    }

    private static bool Has(SweepTrial t, string metric) => t.Metrics.TryGetValue(metric, out double v) && double.IsFinite(v);

    private static string AxisName(SweepResult result, string metric) =>
        result.Objectives.FirstOrDefault(o => o.Metric == metric)?.ToString() ?? metric;

    /// <summary>The data's span with 5% padding on each side (a unit span around a single value).</summary>
    private static (double, double) Bounds(List<double> values)
    {
        if (values.Count == 0) return (0, 1);
        double lo = values.Min(), hi = values.Max();
        if (hi - lo < 1e-12 * Math.Max(1, Math.Abs(hi))) return (lo - 0.5 * Math.Max(1e-9, Math.Abs(lo)) - 0.5, hi + 0.5 * Math.Max(1e-9, Math.Abs(hi)) + 0.5);
        double pad = (hi - lo) * 0.05;
        return (lo - pad, hi + pad);
    }

    /// <summary>Ticks at 1, 2 or 5 × 10^k, about six across the span.</summary>
    private static IEnumerable<double> Ticks(double lo, double hi)
    {
        double raw = (hi - lo) / 6, magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double step = new[] { 1.0, 2, 5, 10 }.Select(m => m * magnitude).First(s => s >= raw);
        for (double t = Math.Ceiling(lo / step) * step; t <= hi + step * 1e-9; t += step)
            yield return Math.Abs(t) < step * 1e-9 ? 0 : t;
    }

    private static string Label(double v) =>
        Math.Abs(v) >= 10000 ? v.ToString("#,0", CultureInfo.InvariantCulture) : v.ToString("0.####", CultureInfo.InvariantCulture);

    private static void Centered(SKCanvas canvas, string value, float x, float baseline, SKPaint paint) =>
        canvas.DrawText(value, x - paint.MeasureText(value) / 2, baseline, paint);

    /// <summary>A viridis-like scale: dark blue at 0, teal, green, yellow at 1.</summary>
    private static SKColor Viridis(double t)
    {
        (double r, double g, double b)[] stops = { (68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37) };
        t = Math.Clamp(t, 0, 1) * (stops.Length - 1);
        int i = Math.Min(stops.Length - 2, (int)t);
        double f = t - i;
        var (a, b2) = (stops[i], stops[i + 1]);
        return new SKColor((byte)(a.r + (b2.r - a.r) * f), (byte)(a.g + (b2.g - a.g) * f), (byte)(a.b + (b2.b - a.b) * f));
    }
}
