using Microsoft.ML.Compression.Graph;

namespace Microsoft.ML.Compression.Zoo;

/// <summary>Ready-made networks for 28x28 single-channel images (MNIST, Fashion-MNIST), built from the IR without weights. One file per family.</summary>
public static partial class NetworkZoo
{
}
