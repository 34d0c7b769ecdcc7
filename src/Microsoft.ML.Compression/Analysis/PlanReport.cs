using System.Globalization;
using System.Text;

namespace Microsoft.ML.Compression.Analysis;

/// <summary>
/// The model after one step of a compression plan (step 0 is the starting model).
/// </summary>
/// <param name="Step">0 for the starting model, then 1, 2, ...</param>
/// <param name="Name">The step, e.g. "NetworkSlimming" ("start" for step 0).</param>
/// <param name="Method">The method written to the model, e.g. "slim50" or "simqat-int8".</param>
/// <param name="Accuracy">
/// Top-1 accuracy on the validation data: ONNX Runtime scoring the step's exported model (for the starting model,
/// its float network in TorchSharp, which its ONNX export matches); null without validation data.
/// </param>
/// <param name="Parameters">Parameters of the step's model (a quantized model counts its BatchNorm-folded network).</param>
/// <param name="ParameterBytes">Bytes of those parameters at their stored bit widths.</param>
/// <param name="Macs">Multiply-accumulates per image.</param>
/// <param name="OnnxBytes">Size of the step's ONNX model.</param>
/// <param name="Teacher">The teacher the step distilled from, or null.</param>
/// <param name="Seconds">Wall-clock time of the step's Fit.</param>
public sealed record PlanStepReport(int Step, string Name, string Method, double? Accuracy, long Parameters, long ParameterBytes, long Macs,
    long OnnxBytes, string? Teacher, double Seconds);

/// <summary>What each step of a compression plan did to accuracy, size and compute, in order.</summary>
public sealed class PlanReport
{
    /// <summary>Creates the report from its rows (the starting model first).</summary>
    public PlanReport(IReadOnlyList<PlanStepReport> steps)
    {
        ArgumentNullException.ThrowIfNull(steps);
        if (steps.Count == 0) throw new ArgumentException("A plan report needs at least the starting model.", nameof(steps));
        Steps = steps;
    }

    /// <summary>The starting model, then one row per step.</summary>
    public IReadOnlyList<PlanStepReport> Steps { get; }

    /// <summary>ONNX bytes of the final model over those of the starting model.</summary>
    public double OnnxRatio => (double)Steps[^1].OnnxBytes / Steps[0].OnnxBytes;

    /// <inheritdoc />
    public override string ToString()
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine("| step | method | teacher | accuracy | params | param bytes | MACs | ONNX bytes | vs start | seconds |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (var s in Steps)
            sb.AppendLine(string.Create(inv,
                $"| {s.Step} {s.Name} | {s.Method} | {s.Teacher ?? "-"} | {(s.Accuracy is double a ? a.ToString("P2", inv) : "-")} | {s.Parameters:N0} | {s.ParameterBytes:N0} | {s.Macs:N0} | {s.OnnxBytes:N0} | {(double)s.OnnxBytes / Steps[0].OnnxBytes:F3} | {s.Seconds:F1} |"));
        return sb.ToString();
    }
}
