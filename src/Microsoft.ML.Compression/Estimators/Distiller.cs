using System;
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
/// or chain the steps with <see cref="CompressionCatalog.Plan"/>.
/// </remarks>
public sealed class Distiller : IEstimator<CompressedModelTransformer>
{
    /// <summary>Options of <see cref="Distiller"/>: the training loop's and the distillation loss's settings (T 4, alpha 0.9, 8 epochs).</summary>
    public sealed class Options : CompressionOptions
    {
    }

    private readonly CompressionCatalog _catalog;
    private readonly NetworkGraph _student;
    private readonly string _featureColumn, _labelColumn;
    private readonly CompressionOptions _options;

    internal Distiller(CompressionCatalog catalog, NetworkGraph student, StartingPoint teacher, string featureColumnName, string labelColumnName, Options options)
    {
        ArgumentNullException.ThrowIfNull(student);
        ArgumentNullException.ThrowIfNull(teacher);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(featureColumnName);
        ArgumentException.ThrowIfNullOrWhiteSpace(labelColumnName);
        if (options.Teacher is not null && !ReferenceEquals(options.Teacher.Network, teacher.Network))
            throw new ArgumentException("Options.Teacher names a different model than the teacher argument; pass the teacher once.", nameof(options));
        _options = options.WithTeacher(teacher);
        _options.Validate();
        _options.CheckTeacher(student);
        _catalog = catalog;
        _student = student;
        _featureColumn = featureColumnName;
        _labelColumn = labelColumnName;
    }

    /// <inheritdoc />
    public CompressedModelTransformer Fit(IDataView input) => Fit(input, null);

    /// <summary>Trains the student on <paramref name="trainData"/>, reporting accuracy on <paramref name="validationData"/> after each epoch.</summary>
    public CompressedModelTransformer Fit(IDataView trainData, IDataView? validationData) =>
        NetworkTrainer.Train(_catalog, _student, _options, _featureColumn, _labelColumn, trainData, validationData, "Distill", "kd");

    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema) =>
        ModelFactory.OutputSchema(inputSchema, _featureColumn, _labelColumn, _student);
}
