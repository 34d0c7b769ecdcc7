using Microsoft.ML.SearchSpace;

namespace Microsoft.ML.Compression.Quantization;

/// <summary>What an int8 export does when measured against the float model.</summary>
public enum Int8LatencyCheck
{
    /// <summary>No measurement: the layers kept float are the ones the rule and the options name, so Fit is deterministic.</summary>
    Off,

    /// <summary>Measure the int8 and the fp32 model in ONNX Runtime and log a warning when int8 is slower.</summary>
    Warn,

    /// <summary>
    /// Measure, and while int8 is slower keep more layers float (cheapest first), logging each; when no int8 form is as
    /// fast as fp32, export the float network. The default: a quantized model is never slower than its fp32 model on
    /// the batch size and thread count measured.
    /// </summary>
    KeepFloatWhereSlower,
}

/// <summary>
/// How an int8 export (post-training quantization, SimQAT) makes sure it does not slow the model down in ONNX Runtime:
/// a rule for the layers int8 kernels are known to run slower, and optionally a measurement on the user's batch size
/// and thread count.
/// </summary>
public sealed class Int8LatencyOptions
{
    /// <summary>
    /// Keep float the convolutions ONNX Runtime's CPU int8 kernels run slower than its float ones: fewer than 8 input
    /// channels per group, such as a first layer reading the image, where its input can stay float. The log names each
    /// such layer and why. False forces int8: every Conv2d and Linear layer not kept float by name is quantized, and
    /// <see cref="Check"/> at most warns. Default true.
    /// </summary>
    [BooleanChoice(true)]
    public bool KeepSlowLayersFloat { get; set; } = true;

    /// <summary>
    /// Whether Fit measures the int8 model against the fp32 one in ONNX Runtime, and what it does when int8 is slower.
    /// Default <see cref="Int8LatencyCheck.KeepFloatWhereSlower"/>; <see cref="Int8LatencyCheck.Off"/> for an export
    /// that does not depend on timings.
    /// </summary>
    public Int8LatencyCheck Check { get; set; } = Int8LatencyCheck.KeepFloatWhereSlower;

    /// <summary>
    /// How much faster than fp32 an int8 form must measure for <see cref="Int8LatencyCheck.KeepFloatWhereSlower"/> to
    /// keep it. Above 1 because two timings of one model on a busy CPU differ by a few percent: a form measured at
    /// 1.02x can score slower than fp32 a minute later. A form measured faster by less than 1.2 times this margin is
    /// timed a second time and judged by the lower of the two timings. Default 1.05; 1 keeps any form measured at least
    /// as fast.
    /// </summary>
    public double MinSpeedUp { get; set; } = 1.05;

    /// <summary>Rows per timed run (taken from the training data) for <see cref="Check"/>; time at the batch size you score with. Default 64.</summary>
    public int BatchSize { get; set; } = 64;

    /// <summary>ONNX Runtime intra-op threads for <see cref="Check"/>. Default 1.</summary>
    public int Threads { get; set; } = 1;

    /// <summary>Checks every setting, naming the option.</summary>
    public void Validate(string optionName)
    {
        if (!Enum.IsDefined(Check))
            throw new ArgumentOutOfRangeException($"{optionName}.{nameof(Check)}", Check, "Unknown Int8LatencyCheck.");
        if (!(MinSpeedUp >= 1) || double.IsInfinity(MinSpeedUp))
            throw new ArgumentOutOfRangeException($"{optionName}.{nameof(MinSpeedUp)}", MinSpeedUp,
                $"{optionName}.{nameof(MinSpeedUp)} must be a finite number of at least 1 (int8 at least as fast as fp32); Check = Warn or Off keeps a slower int8 model.");
        if (BatchSize < 1)
            throw new ArgumentOutOfRangeException($"{optionName}.{nameof(BatchSize)}", BatchSize, $"{optionName}.{nameof(BatchSize)} must be at least 1 (rows per timed run).");
        if (Threads < 1)
            throw new ArgumentOutOfRangeException($"{optionName}.{nameof(Threads)}", Threads, $"{optionName}.{nameof(Threads)} must be at least 1.");
    }
}
