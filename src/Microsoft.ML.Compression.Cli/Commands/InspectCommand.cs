using System.Text.Json;
using Microsoft.ML.Compression.Cli.Output;
using Microsoft.ML.Compression.Onnx.Import;

namespace Microsoft.ML.Compression.Cli.Commands;

/// <summary><c>inspect &lt;model.onnx&gt; [--json]</c>: what the importer sees in a file; exit code 3 when it cannot import it.</summary>
public static class InspectCommand
{
    /// <summary>Runs the verb.</summary>
    public static int Run(CommandLine line)
    {
        bool json = line.Has("json");
        string path = Common.ModelPath(line);
        line.RejectUnused(1);
        OnnxImportReport report = ModelFile.Inspect(path);
        Console.WriteLine(json ? JsonSerializer.Serialize(ToJson(report), ReportFile.Json) : report.ToString());
        return report.CanImport ? ExitCodes.Ok : ExitCodes.InputFile;
    }

    /// <summary>The report as plain data for JSON (the imported network summarized, not serialized).</summary>
    public static object ToJson(OnnxImportReport r) => new
    {
        source = r.Source,
        irVersion = r.IrVersion,
        opsets = r.Opsets,
        producer = $"{r.ProducerName} {r.ProducerVersion}".Trim(),
        inputs = r.Inputs.Select(i => new { i.Name, i.ElementType, i.Dimensions, fixedBatch = i.HasFixedBatch }),
        inputLayout = r.InputLayout,
        outputs = r.Outputs.Select(o => new { o.Name, o.ElementType, o.Dimensions }),
        operators = r.OperatorCounts,
        logits = r.LogitsTensor,
        finalSoftmax = r.FinalSoftmax,
        unsupportedOperators = r.UnsupportedOperators.Select(u => new { u.OpType, u.Count, u.Nodes, u.Reason }),
        canImport = r.CanImport,
        problems = r.Problems,
        network = r.Network is { } n ? new { n.Name, inputShape = n.InputShape, classes = n.ClassCount, layers = n.Layers.Count, parameters = n.ParameterCount } : null,
    };
}
