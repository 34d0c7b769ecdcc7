using Microsoft.ML.Compression.Estimators;
using Microsoft.ML.Compression.Quantization;

namespace Microsoft.ML.Compression.Cli.Commands;

/// <summary>
/// <c>quantize &lt;model.onnx&gt; --calibration &lt;folder|idx&gt; -o &lt;out.onnx&gt;</c>: post-training int8
/// quantization (<c>PostTrainingQuantization</c> from <c>StartingPoint.FromOnnx</c>), calibrated on the images.
/// </summary>
public static class QuantizeCommand
{
    /// <summary>Default number of calibration images (the library's default CalibrationSamples).</summary>
    public const int DefaultImages = 512;

    /// <summary>Runs the verb.</summary>
    public static int Run(CommandLine line)
    {
        string model = Common.ModelPath(line);
        var run = new CompressionRun(line, "calibration", DefaultImages);
        string method = line.Choice("calibration-method", "minmax", "minmax", "percentile");
        double percentile = line.Double("percentile", 99.99, min: 50.0001, max: 100);
        var latency = Common.Int8Latency(line);
        return run.Execute("quantize", model, null, null, labelled: false, epochs: null, (ml, network, data, _) =>
        {
            var options = new PostTrainingQuantizer.Options
            {
                CalibrationSamples = (int)data.GetRowCount()!.Value,
                Calibration = method == "percentile" ? CalibrationMethod.Percentile : CalibrationMethod.MinMax,
                Percentile = percentile,
                Latency = latency,
                Seed = run.Seed,
                CancellationToken = run.Token,
            };
            return ml.Transforms.Compression.PostTrainingQuantization(network, options).Fit(data);
        }, new { method = "ptq-int8", calibration = method, percentile = method == "percentile" ? percentile : (double?)null, latencyCheck = latency.Check.ToString() });
    }
}
