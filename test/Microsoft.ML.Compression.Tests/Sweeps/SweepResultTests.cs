using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using Microsoft.ML.Compression.Sweeps;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using SkiaSharp;

namespace Microsoft.ML.Compression.Tests.Sweeps;

/// <summary>A result written as CSV, JSON and a Pareto plot, and read back.</summary>
[TestClass]
public class SweepResultTests
{
    private static Task<SweepResult> Sweep() =>
        new SweepEngine(SweepTestProblems.ZdtSpace().AddChoice("mode", new object[] { "a", "b,c" }, "a"), c =>
            c.Id == 4 ? throw new InvalidOperationException("bad \"trial\"") : SweepTestProblems.Zdt1(c.Configuration))
            .WithObjective("f1", false).WithObjective("f2", false).WithConstraint(SweepConstraint.AtMost("f2", 3))
            .WithTuner(SweepTuner.MultiObjective(2)).WithBudget(30).RunAsync();

    [TestMethod]
    public async Task CsvAndJsonAreWrittenAndReadBack()
    {
        SweepResult result = await Sweep();
        using var folder = new SweepTestProblems.TempFolder();
        string csvPath = Path.Combine(folder.Path, "out", "sweep.csv"), jsonPath = Path.Combine(folder.Path, "sweep.json");
        result.SaveCsv(csvPath);
        result.SaveJson(jsonPath);

        string[] lines = File.ReadAllLines(csvPath);
        Assert.AreEqual("id,fidelity,x1,x2,x3,mode,f1,f2,seconds,cost,feasible,on_front,error", lines[0]);
        Assert.AreEqual(31, lines.Length);
        // Quoted cells: "b,c" and the error's quotes.
        Assert.IsTrue(lines.Skip(1).Any(l => l.Contains("\"b,c\"")) || lines.Skip(1).All(l => !l.Contains("b,c")));
        StringAssert.EndsWith(lines[4], "\"bad \"\"trial\"\"\"");
        string[] row = lines[1].Split(',');
        SweepTrial t1 = result.Trials[0];
        Assert.AreEqual(t1.Metrics["f1"], double.Parse(row[6], System.Globalization.CultureInfo.InvariantCulture));
        Assert.AreEqual(t1.Configuration.Get<double>("x2"), double.Parse(row[3], System.Globalization.CultureInfo.InvariantCulture));
        Assert.AreEqual(result.ParetoFront.Count, lines.Skip(1).Count(l => l.Contains(",true,") && l.Split(',').Reverse().Skip(1).First() == "true"));

        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(jsonPath));
        JsonElement root = json.RootElement;
        Assert.AreEqual(30, root.GetProperty("trials").GetArrayLength());
        CollectionAssert.AreEqual(result.ParetoFront.Select(t => t.Id).ToArray(), root.GetProperty("paretoFront").EnumerateArray().Select(e => e.GetInt32()).ToArray());
        Assert.AreEqual(result.Best?.Id, root.GetProperty("best").ValueKind == JsonValueKind.Null ? null : root.GetProperty("best").GetInt32());
        JsonElement trial4 = root.GetProperty("trials")[3];
        Assert.AreEqual("bad \"trial\"", trial4.GetProperty("error").GetString());
        SweepConfiguration back = SweepConfiguration.FromJson(root.GetProperty("trials")[0].GetProperty("configuration").GetRawText());
        Assert.AreEqual(t1.Configuration.Key, back.Key);
    }

    [TestMethod]
    public async Task ParetoPlotIsAPngWithTheFrontDrawn()
    {
        SweepResult result = await Sweep();
        using var folder = new SweepTestProblems.TempFolder();
        string path = Path.Combine(folder.Path, "front.png");
        result.SaveParetoPlot(path, "f1", "f2", colourMetric: "f1", references: new[] { ("hand-tuned", 0.5, 2.0) }, width: 640, height: 480);
        using SKBitmap image = SKBitmap.Decode(path);
        Assert.IsNotNull(image, "the PNG decodes");
        Assert.AreEqual((640, 480), (image.Width, image.Height));
        int nonWhite = 0, frontRed = 0;
        for (int y = 0; y < image.Height; y++)
            for (int x = 0; x < image.Width; x++)
            {
                SKColor c = image.GetPixel(x, y);
                if (c != SKColors.White) nonWhite++;
                if (c.Red > 180 && c.Green < 80 && c.Blue < 80) frontRed++;
            }
        Assert.IsTrue(nonWhite > 640 * 480 / 50, $"{nonWhite} drawn pixels");
        Assert.IsTrue(frontRed > 50, $"{frontRed} pixels of the front's colour");
    }
}
