namespace Microsoft.ML.Compression.Cli.Commands;

/// <summary>Options several verbs share: the model argument, the image options and the output path.</summary>
public static class Common
{
    /// <summary>The single positional argument: the model file.</summary>
    public static string ModelPath(CommandLine line) =>
        line.Positionals.Count > 0 ? line.Positionals[0] : throw CliException.Usage($"'{line.Verb}' needs a model file: mlnet-compress {line.Verb} <model.onnx> ...");

    /// <summary>The <c>--output</c>/<c>-o</c> path, which must end in .onnx.</summary>
    public static string OutputPath(CommandLine line)
    {
        string output = line.Required("output", "the .onnx file to write (-o out.onnx)");
        if (!output.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
            throw CliException.Usage($"Option --output expects a path ending in .onnx, got '{output}'.");
        return output;
    }

    /// <summary><c>--mean</c> and <c>--std</c> as given (null when absent), in 0..1 pixel units.</summary>
    public static (float[]? Mean, float[]? Std) MeanStd(CommandLine line) => (
        line.Floats("mean", float.IsFinite, "comma-separated numbers in 0..1 pixel units (e.g. 0.1307 or 0.485,0.456,0.406)"),
        line.Floats("std", v => float.IsFinite(v) && v > 0, "comma-separated positive numbers in 0..1 pixel units (e.g. 0.3081 or 0.229,0.224,0.225)"));

    /// <summary><c>--seed</c>: shuffling, subsets and the library's seed. Default 0.</summary>
    public static int Seed(CommandLine line) => line.Int("seed", 0);

    /// <summary>
    /// <c>--all-int8</c> (no layer kept float for speed) and <c>--latency-check off|warn|keep-float</c> (time int8
    /// against fp32 in ONNX Runtime at <c>--latency-batch</c> rows and <c>--latency-threads</c>), for the int8 verbs.
    /// </summary>
    public static Quantization.Int8LatencyOptions Int8Latency(CommandLine line)
    {
        string check = line.Choice("latency-check", "keep-float", "off", "warn", "keep-float");
        return new Quantization.Int8LatencyOptions
        {
            KeepSlowLayersFloat = !line.Has("all-int8"),
            Check = check switch { "warn" => Quantization.Int8LatencyCheck.Warn, "keep-float" => Quantization.Int8LatencyCheck.KeepFloatWhereSlower, _ => Quantization.Int8LatencyCheck.Off },
            BatchSize = line.Int("latency-batch", 64, min: 1, max: 65_536),
            Threads = line.Int("latency-threads", 1, min: 1, max: 256),
        };
    }

    /// <summary>The optional <c>--max-images</c> limit.</summary>
    public static int? MaxImages(CommandLine line, int? fallback = null)
    {
        int v = line.Int("max-images", fallback ?? 0, min: 1);
        return v == 0 ? null : v;
    }
}
