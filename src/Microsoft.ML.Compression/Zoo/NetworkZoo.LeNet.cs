using Microsoft.ML.Compression.Graph;

namespace Microsoft.ML.Compression.Zoo;

public static partial class NetworkZoo
{
    /// <summary>
    /// LeNet-5: conv 6@5x5 (padding 2) - pool - conv 16@5x5 - pool - fc 120 - fc 84 - fc classes, ReLU activations,
    /// max pooling. With <paramref name="batchNorm"/> each convolution is followed by BatchNorm (and has no bias).
    /// <paramref name="conv1Channels"/> widens (or narrows) the first convolution, e.g. to 8 to see whether int8 pays
    /// once conv2 reads a multiple of 4 channels (the <c>int8-latency</c> benchmark); the name then says so.
    /// </summary>
    public static NetworkGraph LeNet5(int classes = 10, bool batchNorm = false, int channels = 1, int height = 28, int width = 28, int conv1Channels = 6)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(conv1Channels, 1);
        string name = (batchNorm ? "lenet5-bn" : "lenet5") + (conv1Channels == 6 ? "" : $"-conv1x{conv1Channels}");
        var b = new NetworkBuilder(name, channels, height, width);
        string x = b.Conv2d(b.Input, conv1Channels, 5, padding: 2, bias: !batchNorm, name: "conv1");
        if (batchNorm) x = b.BatchNorm2d(x, "bn1");
        x = b.MaxPool2d(b.ReLU(x, "relu1"), 2, name: "pool1");
        x = b.Conv2d(x, 16, 5, bias: !batchNorm, name: "conv2");
        if (batchNorm) x = b.BatchNorm2d(x, "bn2");
        x = b.MaxPool2d(b.ReLU(x, "relu2"), 2, name: "pool2");
        x = b.Flatten(x, "flatten");
        x = b.ReLU(b.Linear(x, 120, name: "fc1"), "relu3");
        x = b.ReLU(b.Linear(x, 84, name: "fc2"), "relu4");
        return b.Build(b.Linear(x, classes, name: "fc3"));
    }
}
