using Microsoft.ML.Compression.Estimators;
using Microsoft.ML.Compression.Graph;
using System.IO;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Compression;

/// <summary>
/// The model-compression estimators, reached as <c>mlContext.Transforms.Compression</c>. Each method has a flat
/// overload with the common settings and an overload taking its full options object.
/// </summary>
public sealed class CompressionCatalog
{
    internal CompressionCatalog(TransformsCatalog transforms, IHostEnvironment environment)
    {
        Transforms = transforms;
        Environment = environment;
    }

    /// <summary>The ML.NET transforms catalog the scoring pipelines are built with.</summary>
    internal TransformsCatalog Transforms { get; }

    /// <summary>
    /// The MLContext's own environment: estimators log here (so messages reach <c>MLContext.Log</c>), draw their seeds
    /// from it, and stop when <c>MLContext.CancelExecution()</c> marks it cancelled.
    /// </summary>
    internal IHostEnvironment Environment { get; }

    /// <summary>
    /// Imports the ONNX classifier in <paramref name="path"/> (exported by PyTorch, Keras/TensorFlow, this library or
    /// others) as a fitted model: it scores like the original file (Score = class probabilities, PredictedLabel = the
    /// most probable class), saves with <c>mlContext.Model.Save</c>, and is a valid <c>startFrom</c> of every method.
    /// Nothing is trained. <see cref="Onnx.Import.OnnxImport.Inspect(string)"/> tells beforehand whether a file can be
    /// imported.
    /// </summary>
    /// <param name="path">An .onnx file with its weights embedded.</param>
    /// <param name="featureColumnName">
    /// The float vector column holding the model's input flattened in the model's own layout (as many values as one
    /// input sample has).
    /// </param>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="InvalidDataException">The file is not an ONNX model, or the model is malformed; the message names the file.</exception>
    /// <exception cref="NotSupportedException">
    /// The model uses an op or a form the library cannot express; the message names the file, the op type, the node
    /// and the supported op types.
    /// </exception>
    /// <example>
    /// <code>
    /// var original = mlContext.Transforms.Compression.ImportOnnx("resnet.onnx");
    /// var int8 = mlContext.Transforms.Compression.PostTrainingQuantization(original).Fit(train);
    /// </code>
    /// </example>
    public CompressedModelTransformer ImportOnnx(string path, string featureColumnName = "Features")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentException.ThrowIfNullOrWhiteSpace(featureColumnName);
        NetworkGraph network = Onnx.Import.OnnxFile.Import(path);
        return CompressedModelTransformer.FromNetwork(this, network, new ImportColumns { FeatureColumnName = featureColumnName }, ImportedMethod);
    }

    /// <summary>The method name of a model from <see cref="ImportOnnx"/> (its report and ONNX metadata).</summary>
    internal const string ImportedMethod = "onnx-import";

    /// <summary>The columns of an imported model (the defaults, but for the features).</summary>
    private sealed class ImportColumns : EstimatorOptions
    {
    }

    /// <summary>Trains <paramref name="network"/> in full precision; the baseline every compression method starts from.</summary>
    /// <param name="network">The network to train (see <see cref="Zoo.NetworkZoo"/>); if it has weights, training continues from them.</param>
    /// <param name="featureColumnName">Float vector column of C*H*W values.</param>
    /// <param name="labelColumnName">Key-typed (or 0-based integer) class column.</param>
    /// <param name="epochs">Passes over the training data.</param>
    /// <param name="batchSize">Samples per mini-batch.</param>
    /// <param name="learningRate">Initial SGD learning rate (cosine schedule).</param>
    /// <example>
    /// <code>
    /// var model = mlContext.Transforms.Compression.Train(NetworkZoo.LeNet5(), "Features", "Label").Fit(train);
    /// </code>
    /// </example>
    public NetworkTrainer Train(NetworkGraph network, string featureColumnName = "Features", string labelColumnName = "Label",
        int epochs = 8, int batchSize = 64, double learningRate = 0.05) =>
        Train(network, new NetworkTrainer.Options
        {
            FeatureColumnName = featureColumnName,
            LabelColumnName = labelColumnName,
            Epochs = epochs,
            BatchSize = batchSize,
            LearningRate = learningRate,
        });

    /// <summary>Trains <paramref name="network"/> in full precision with every setting of <paramref name="options"/>.</summary>
    public NetworkTrainer Train(NetworkGraph network, NetworkTrainer.Options options) => new(this, network, options);

    /// <summary>
    /// Quantization-aware training (SimQAT): fine-tunes <paramref name="startFrom"/> with simulated int8 quantization
    /// and exports int8 QDQ ONNX.
    /// </summary>
    /// <param name="startFrom">A trained model from <see cref="Train(NetworkGraph, NetworkTrainer.Options)"/> (or any compression step), or a network with weights.</param>
    /// <param name="featureColumnName">Float vector column of C*H*W values.</param>
    /// <param name="labelColumnName">Key-typed (or 0-based integer) class column.</param>
    /// <param name="epochs">Fine-tuning epochs.</param>
    /// <param name="learningRate">Initial SGD learning rate (cosine schedule).</param>
    /// <example>
    /// <code>
    /// var fp32 = mlContext.Transforms.Compression.Train(NetworkZoo.LeNet5()).Fit(train);
    /// var int8 = mlContext.Transforms.Compression.QuantizeAwareTraining(fp32).Fit(train);
    /// int8.SaveOnnx("lenet5-int8.onnx");
    /// </code>
    /// </example>
    public QuantizeAwareTrainer QuantizeAwareTraining(StartingPoint startFrom, string featureColumnName = "Features", string labelColumnName = "Label",
        int epochs = 3, double learningRate = 0.005) =>
        QuantizeAwareTraining(startFrom, new QuantizeAwareTrainer.Options
        {
            FeatureColumnName = featureColumnName, LabelColumnName = labelColumnName, Epochs = epochs, LearningRate = learningRate,
        });

    /// <summary>Quantization-aware training (SimQAT) with every setting of <paramref name="options"/> (columns included).</summary>
    public QuantizeAwareTrainer QuantizeAwareTraining(StartingPoint startFrom, QuantizeAwareTrainer.Options options) => new(this, startFrom, options);

    /// <summary>
    /// Post-training int8 quantization: calibrates activation ranges on the first rows of the data passed to Fit, no training.
    /// </summary>
    /// <param name="startFrom">A trained model or a network with weights.</param>
    /// <param name="featureColumnName">Float vector column of C*H*W values.</param>
    /// <param name="calibrationSamples">Rows used for calibration.</param>
    public PostTrainingQuantizer PostTrainingQuantization(StartingPoint startFrom, string featureColumnName = "Features", int calibrationSamples = 512) =>
        PostTrainingQuantization(startFrom, new PostTrainingQuantizer.Options { FeatureColumnName = featureColumnName, CalibrationSamples = calibrationSamples });

    /// <summary>Post-training int8 quantization with every setting of <paramref name="options"/>.</summary>
    public PostTrainingQuantizer PostTrainingQuantization(StartingPoint startFrom, PostTrainingQuantizer.Options options) =>
        new(this, startFrom, options);

    /// <summary>
    /// SLB (searching for low-bit weights): trains <paramref name="startFrom"/>'s convolutions as softmaxes over 2, 4 or 16
    /// weight levels and exports them stored at 1, 2 or 4 bits.
    /// </summary>
    /// <param name="startFrom">A trained model or a network with weights.</param>
    /// <param name="featureColumnName">Float vector column of C*H*W values.</param>
    /// <param name="labelColumnName">Key-typed (or 0-based integer) class column.</param>
    /// <param name="weightBits">1, 2 or 4.</param>
    /// <param name="epochs">Training epochs (the temperature schedule is spread over them).</param>
    /// <example>
    /// <code>
    /// var fp32 = mlContext.Transforms.Compression.Train(NetworkZoo.LeNet5(batchNorm: true)).Fit(train);
    /// var w2 = mlContext.Transforms.Compression.Slb(fp32, weightBits: 2).Fit(train);
    /// w2.SaveOnnx("lenet5-w2.onnx");   // INT2 weights, opset 25
    /// </code>
    /// </example>
    public SlbQuantizer Slb(StartingPoint startFrom, string featureColumnName = "Features", string labelColumnName = "Label", int weightBits = 1, int epochs = 10) =>
        Slb(startFrom, new SlbQuantizer.Options { FeatureColumnName = featureColumnName, LabelColumnName = labelColumnName, WeightBits = weightBits, Epochs = epochs });

    /// <summary>SLB with every setting of <paramref name="options"/> (columns included).</summary>
    public SlbQuantizer Slb(StartingPoint startFrom, SlbQuantizer.Options options) => new(this, startFrom, options);

    /// <summary>
    /// Network Slimming: sparsity training on BatchNorm scaling factors, removal of the channels with the smallest
    /// |gamma| under one global threshold, and fine-tuning of the physically smaller network.
    /// </summary>
    /// <param name="startFrom">A trained model or a network with weights; its prunable convolutions need BatchNorm after them.</param>
    /// <param name="featureColumnName">Float vector column of C*H*W values.</param>
    /// <param name="labelColumnName">Key-typed (or 0-based integer) class column.</param>
    /// <param name="pruneRate">Fraction of the prunable channels to remove, in [0, 1).</param>
    /// <param name="epochs">Fine-tuning epochs after removal (sparsity training adds <see cref="NetworkSlimming.Options.SparsityEpochs"/>).</param>
    /// <example>
    /// <code>
    /// var fp32 = mlContext.Transforms.Compression.Train(NetworkZoo.Vgg()).Fit(train);
    /// var slim = mlContext.Transforms.Compression.NetworkSlimming(fp32, pruneRate: 0.5).Fit(train);
    /// Console.WriteLine(slim.Pruning);   // widths, parameters, MACs and ONNX bytes before and after
    /// </code>
    /// </example>
    public NetworkSlimming NetworkSlimming(StartingPoint startFrom, string featureColumnName = "Features", string labelColumnName = "Label",
        double pruneRate = 0.5, int epochs = 3) =>
        NetworkSlimming(startFrom, new NetworkSlimming.Options { FeatureColumnName = featureColumnName, LabelColumnName = labelColumnName, PruneRate = pruneRate, Epochs = epochs });

    /// <summary>Network Slimming with every setting of <paramref name="options"/> (columns included).</summary>
    public NetworkSlimming NetworkSlimming(StartingPoint startFrom, NetworkSlimming.Options options) => new(this, startFrom, options);

    /// <summary>
    /// L1-norm filter pruning: removes the same fraction of each layer's filters (those with the smallest L1 norm)
    /// and fine-tunes the physically smaller network; the baseline for the other pruning methods.
    /// </summary>
    /// <param name="startFrom">A trained model or a network with weights.</param>
    /// <param name="featureColumnName">Float vector column of C*H*W values.</param>
    /// <param name="labelColumnName">Key-typed (or 0-based integer) class column.</param>
    /// <param name="pruneRate">Fraction of every layer's filters to remove, in [0, 1).</param>
    /// <param name="epochs">Fine-tuning epochs after removal.</param>
    public L1NormPruner L1NormPruning(StartingPoint startFrom, string featureColumnName = "Features", string labelColumnName = "Label",
        double pruneRate = 0.5, int epochs = 3) =>
        L1NormPruning(startFrom, new L1NormPruner.Options { FeatureColumnName = featureColumnName, LabelColumnName = labelColumnName, PruneRate = pruneRate, Epochs = epochs });

    /// <summary>L1-norm filter pruning with every setting of <paramref name="options"/> (columns included).</summary>
    public L1NormPruner L1NormPruning(StartingPoint startFrom, L1NormPruner.Options options) => new(this, startFrom, options);

    /// <summary>
    /// SCOP: trains control coefficients that mix each convolution channel's response to the data with its response to
    /// knockoff data, removes the channels the network relies on least (per layer), and fine-tunes the smaller network.
    /// </summary>
    /// <param name="startFrom">A trained model or a network with weights.</param>
    /// <param name="featureColumnName">Float vector column of C*H*W values.</param>
    /// <param name="labelColumnName">Key-typed (or 0-based integer) class column.</param>
    /// <param name="pruneRate">Fraction of every layer's channels to remove, in [0, 1).</param>
    /// <param name="epochs">Fine-tuning epochs after removal.</param>
    public ScopPruner Scop(StartingPoint startFrom, string featureColumnName = "Features", string labelColumnName = "Label",
        double pruneRate = 0.45, int epochs = 3) =>
        Scop(startFrom, new ScopPruner.Options { FeatureColumnName = featureColumnName, LabelColumnName = labelColumnName, PruneRate = pruneRate, Epochs = epochs });

    /// <summary>SCOP with every setting of <paramref name="options"/> (columns included).</summary>
    public ScopPruner Scop(StartingPoint startFrom, ScopPruner.Options options) => new(this, startFrom, options);

    /// <summary>
    /// Knowledge distillation: trains <paramref name="student"/> against <paramref name="teacher"/>'s softened class
    /// probabilities (temperature T, weight alpha, Hinton's T^2 factor) and the labels.
    /// </summary>
    /// <param name="student">The network to train: a zoo or custom network, or a compressed model's <see cref="CompressedModelTransformer.Network"/>.</param>
    /// <param name="teacher">A trained model of this library, or a network with weights; same classes and input as the student.</param>
    /// <param name="featureColumnName">Float vector column of C*H*W values.</param>
    /// <param name="labelColumnName">Key-typed (or 0-based integer) class column.</param>
    /// <param name="epochs">Training epochs.</param>
    /// <param name="temperature">Softmax temperature T.</param>
    /// <param name="alpha">Weight of the teacher's soft targets (1 - alpha weighs the labels' cross-entropy).</param>
    /// <example>
    /// <code>
    /// var teacher = mlContext.Transforms.Compression.Train(NetworkZoo.ResNet20()).Fit(train);
    /// var student = mlContext.Transforms.Compression.Distill(NetworkZoo.LeNet5(batchNorm: true), teacher).Fit(train);
    /// </code>
    /// </example>
    public Distiller Distill(NetworkGraph student, StartingPoint teacher, string featureColumnName = "Features", string labelColumnName = "Label",
        int epochs = 8, double temperature = 4, double alpha = 0.9) =>
        Distill(student, teacher, new Distiller.Options
        {
            FeatureColumnName = featureColumnName, LabelColumnName = labelColumnName, Epochs = epochs, DistillationTemperature = temperature, DistillationWeight = alpha,
        });

    /// <summary>Knowledge distillation with every setting of <paramref name="options"/> (columns and feature hints included).</summary>
    public Distiller Distill(NetworkGraph student, StartingPoint teacher, Distiller.Options options) => new(this, student, teacher, options);

    /// <summary>
    /// Starts a plan of several compression steps run by one Fit, each from the model the previous step produced
    /// (e.g. <c>.NetworkSlimming(...).QuantizeAwareTraining(...)</c>); the result lists each step's effect in
    /// <see cref="CompressedModelTransformer.Plan"/>.
    /// </summary>
    /// <param name="startFrom">A trained model or a network with weights.</param>
    /// <param name="featureColumnName">Float vector column of C*H*W values.</param>
    /// <param name="labelColumnName">Key-typed (or 0-based integer) class column.</param>
    public CompressionPlan Plan(StartingPoint startFrom, string featureColumnName = "Features", string labelColumnName = "Label") =>
        Plan(startFrom, new CompressionPlan.Options { FeatureColumnName = featureColumnName, LabelColumnName = labelColumnName });

    /// <summary>A plan of compression steps with every setting of <paramref name="options"/> (the columns every step uses).</summary>
    public CompressionPlan Plan(StartingPoint startFrom, CompressionPlan.Options options) => new(this, startFrom, options);

    /// <summary>
    /// Per-layer sensitivity of <paramref name="model"/>: its accuracy on <paramref name="validation"/> with one layer
    /// at a time rounded to 8, 4, 2 and 1-bit weights, and one channel group at a time pruned by 25%, 50% and 75%
    /// (smallest filter L1 norm), without fine-tuning. Layers that keep their accuracy tolerate that setting; a sweep
    /// can start there. The report prints as a table and writes a CSV and a heatmap PNG.
    /// </summary>
    /// <param name="model">A trained model or a network with weights.</param>
    /// <param name="validation">Rows to score (the first 10,000 are used).</param>
    /// <param name="featureColumnName">Float vector column of C*H*W values.</param>
    /// <param name="labelColumnName">Key-typed (or 0-based integer) class column.</param>
    /// <example>
    /// <code>
    /// var sensitivity = mlContext.Transforms.Compression.AnalyzeSensitivity(fp32, validation);
    /// Console.WriteLine(sensitivity);            // accuracy drop per layer and setting
    /// sensitivity.SaveHeatmap("sensitivity.png");
    /// </code>
    /// </example>
    public Analysis.Sensitivity.SensitivityReport AnalyzeSensitivity(StartingPoint model, IDataView validation, string featureColumnName = "Features",
        string labelColumnName = "Label") =>
        AnalyzeSensitivity(model, validation, new Analysis.Sensitivity.SensitivityOptions { FeatureColumnName = featureColumnName, LabelColumnName = labelColumnName });

    /// <summary>Per-layer sensitivity with every setting of <paramref name="options"/> (widths, rates, rows, threads).</summary>
    public Analysis.Sensitivity.SensitivityReport AnalyzeSensitivity(StartingPoint model, IDataView validation, Analysis.Sensitivity.SensitivityOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(validation);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        NetworkGraph network = model.Network;
        IHost host = Environment.Register("Sensitivity");
        using IChannel channel = host.Start("Sensitivity");
        using var rows = Training.LabeledDataset.Read(validation, options.FeatureColumnName, options.LabelColumnName, network.InputSize, network.ClassCount,
            options.MaxRows);
        return Analysis.Sensitivity.LayerSensitivity.Analyze(network, rows, options, channel,
            () => FitContext.CheckAlive(Environment, host, System.Threading.CancellationToken.None));
    }

    /// <summary>
    /// An AutoML-style sweep over compression settings starting from <paramref name="model"/>: pruning method and rate,
    /// int8 or per-layer weight widths, teacher on or off, and any option added to the search space; every trial is
    /// scored by ONNX Runtime and the result is a Pareto front of accuracy against size (see <see cref="Sweeps.CompressionSweep"/>).
    /// </summary>
    /// <param name="model">A trained model or a network with weights.</param>
    /// <param name="options">Columns, seed, threads and how trials are measured; null for the defaults.</param>
    /// <example>
    /// <code>
    /// var result = await mlContext.Transforms.Compression.CreateSweep(fp32)
    ///     .SetDataset(train, validation)
    ///     .AddConstraint(SweepConstraint.AtLeast(CompressionMetrics.Accuracy, 0.90))
    ///     .SetMaxTrials(30)
    ///     .RunAsync();
    /// </code>
    /// </example>
    public Sweeps.CompressionSweep CreateSweep(StartingPoint model, Sweeps.CompressionSweep.Options? options = null) =>
        new(this, model, options ?? new Sweeps.CompressionSweep.Options());
}
