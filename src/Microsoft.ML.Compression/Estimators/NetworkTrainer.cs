using Microsoft.ML.Compression.Compressed;
using Microsoft.ML.Compression.Graph;

namespace Microsoft.ML.Compression.Estimators;

/// <summary>
/// Trains a network (from <see cref="Zoo.NetworkZoo"/> or built with <see cref="NetworkBuilder"/>) in TorchSharp
/// and returns a <see cref="CompressedModelTransformer"/> that scores it through ONNX Runtime. This is the
/// full-precision baseline every compression method starts from.
/// </summary>
/// <remarks>
/// Input: a known-size float vector column of C*H*W values (images row-major, e.g. pixel/255) and a label column
/// (key type, or an integer class index from 0). If the network already has weights, training continues from them.
/// Each epoch is logged through the MLContext's log and reported to <see cref="CompressionOptions.OnEpoch"/>.
/// With a <see cref="CompressionOptions.Teacher"/> the network is distilled from it (method "kd").
/// </remarks>
public sealed class NetworkTrainer : CompressionEstimator<NetworkTrainer.Options>
{
    /// <summary>Options of <see cref="NetworkTrainer"/>: the columns and the training loop's settings.</summary>
    public sealed class Options : CompressionOptions
    {
    }

    internal NetworkTrainer(CompressionCatalog catalog, NetworkGraph network, Options options)
        : base(catalog, network, options, "Train")
    {
    }

    private protected override FitResult FitCore(FitContext context) => TrainFloat(context, Network, Settings.Teacher is null ? "fp32" : "kd");

    /// <summary>Trains <paramref name="network"/> (against the options' teacher, if any) as an fp32 model named <paramref name="method"/>.</summary>
    internal static FitResult TrainFloat(FitContext context, NetworkGraph network, string method)
    {
        NetworkGraph trained = context.TrainNetwork(network, "Training");
        return new FitResult(new CompressedNetwork(trained), trained, method);
    }
}
