using Microsoft.ML.Compression.Graph;

namespace Microsoft.ML.Compression.Estimators;

/// <summary>
/// Knowledge distillation (Hinton et al., 2015): trains a student network against a trained teacher's softened class
/// probabilities and the labels, with optional FitNets feature hints between named layers (see
/// <see cref="CompressionOptions.Hints"/>). The student is any network: a zoo or custom network (trained from its
/// initialisation or from its weights) or a compressed model's <see cref="CompressedModelTransformer.Network"/>.
/// </summary>
/// <remarks>
/// The fitted model is an fp32 network (method "kd"); to end with int8 or low-bit weights, give the teacher to
/// <see cref="QuantizeAwareTrainer"/> or <see cref="SlbQuantizer"/> (their options' <see cref="CompressionOptions.Teacher"/>),
/// or chain the steps with <see cref="CompressionCatalog.Plan(StartingPoint, string, string)"/>.
/// </remarks>
public sealed class Distiller : CompressionEstimator<Distiller.Options>
{
    /// <summary>Options of <see cref="Distiller"/>: the columns, the training loop's and the distillation loss's settings (T 4, alpha 0.9, 8 epochs).</summary>
    public sealed class Options : CompressionOptions
    {
    }

    internal Distiller(CompressionCatalog catalog, NetworkGraph student, StartingPoint teacher, Options options)
        : base(catalog, student, WithTeacher(options, teacher), "Distill")
    {
    }

    private static Options WithTeacher(Options options, StartingPoint teacher)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(teacher);
        if (options.Teacher is not null && !ReferenceEquals(options.Teacher.Network, teacher.Network))
            throw new ArgumentException("Settings.Teacher names a different model than the teacher argument; pass the teacher once.", nameof(options));
        return (Options)options.WithTeacher(teacher);
    }

    private protected override FitResult FitCore(FitContext context) => NetworkTrainer.TrainFloat(context, Network, "kd");
}
