using System;
using System.Linq;
using Microsoft.ML.Compression.Estimators;
using Microsoft.ML.Compression.Graph;

namespace Microsoft.ML.Compression;

/// <summary>
/// The trained model a compression method starts from: a fitted transformer of this library (from <c>Train</c> or any
/// compression step) or a <see cref="NetworkGraph"/> whose weights are set. Both convert implicitly, so pass either.
/// </summary>
public sealed class StartingPoint
{
    private StartingPoint(NetworkGraph network, string source)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (network.FirstMissingParameter() is (Layer layer, string parameter))
            throw new ArgumentException(
                $"Network '{network.Name}' ({source}) has no trained weights ('{layer.Name}.{parameter}' is not set); train it first, e.g. with mlContext.Transforms.Compression.Train.",
                "startFrom");
        Network = network;
    }

    /// <summary>The trained network (float weights; BatchNorm not folded).</summary>
    public NetworkGraph Network { get; }

    /// <summary>Starts from a fitted model of this library.</summary>
    public static implicit operator StartingPoint(CompressedModelTransformer model)
    {
        ArgumentNullException.ThrowIfNull(model, "startFrom");
        return new StartingPoint(model.Network, $"from a {model.Report.Method} model");
    }

    /// <summary>Starts from a network with weights.</summary>
    public static implicit operator StartingPoint(NetworkGraph network)
    {
        ArgumentNullException.ThrowIfNull(network, "startFrom");
        return new StartingPoint(network, "a network graph");
    }
}
