using System;
using Microsoft.ML.Compression.Graph;

namespace Microsoft.ML.Compression.Zoo;

/// <summary>Ready-made networks for 28x28 single-channel images (MNIST, Fashion-MNIST), built from the IR without weights.</summary>
public static class NetworkZoo
{
    /// <summary>
    /// LeNet-5: conv 6@5x5 (padding 2) - pool - conv 16@5x5 - pool - fc 120 - fc 84 - fc classes, ReLU activations,
    /// max pooling. With <paramref name="batchNorm"/> each convolution is followed by BatchNorm (and has no bias).
    /// </summary>
    public static NetworkGraph LeNet5(int classes = 10, bool batchNorm = false, int channels = 1, int height = 28, int width = 28)
    {
        var b = new NetworkBuilder(batchNorm ? "lenet5-bn" : "lenet5", channels, height, width);
        string x = b.Conv2d(b.Input, 6, 5, padding: 2, bias: !batchNorm, name: "conv1");
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

    /// <summary>
    /// A VGG-style network: stages of 3x3 conv-BN-ReLU pairs (widths <paramref name="widths"/>, each stage ends in a
    /// 2x2 max pool), then flatten - fc <paramref name="hidden"/> - ReLU - dropout - fc classes. Default stages
    /// 32,32 | 64,64 | 128,128 turn 28x28 into 128x3x3.
    /// </summary>
    public static NetworkGraph Vgg(int classes = 10, int[][]? widths = null, int hidden = 256, double dropout = 0.3,
        int channels = 1, int height = 28, int width = 28)
    {
        widths ??= new[] { new[] { 32, 32 }, new[] { 64, 64 }, new[] { 128, 128 } };
        var b = new NetworkBuilder("vgg", channels, height, width);
        string x = b.Input;
        int n = 0;
        for (int stage = 0; stage < widths.Length; stage++)
        {
            foreach (int w in widths[stage])
            {
                n++;
                x = b.Conv2d(x, w, 3, padding: 1, bias: false, name: $"conv{n}");
                x = b.ReLU(b.BatchNorm2d(x, $"bn{n}"), $"relu{n}");
            }
            x = b.MaxPool2d(x, 2, name: $"pool{stage + 1}");
        }
        x = b.Flatten(x, "flatten");
        x = b.ReLU(b.Linear(x, hidden, name: "fc1"), "relu_fc1");
        if (dropout > 0) x = b.Dropout(x, dropout, "dropout");
        return b.Build(b.Linear(x, classes, name: "fc2"));
    }

    /// <summary>
    /// ResNet-20 in the CIFAR style (He et al. 2016): a 3x3 stem, three stages of three BasicBlocks with
    /// <paramref name="baseWidth"/>, 2x and 4x channels, stride 2 at the start of stages 2 and 3 with a 1x1 conv + BN
    /// downsample shortcut, global average pooling and one fc layer. 28x28 inputs give 28, 14 and 7 pixel stages.
    /// </summary>
    public static NetworkGraph ResNet20(int classes = 10, int baseWidth = 16, int channels = 1, int height = 28, int width = 28) =>
        ResNet("resnet20", 3, classes, baseWidth, channels, height, width);

    /// <summary>A CIFAR-style ResNet with <paramref name="blocksPerStage"/> BasicBlocks per stage (depth 6n+2).</summary>
    public static NetworkGraph ResNet(string name, int blocksPerStage, int classes = 10, int baseWidth = 16, int channels = 1, int height = 28, int width = 28)
    {
        if (blocksPerStage <= 0) throw new ArgumentOutOfRangeException(nameof(blocksPerStage), blocksPerStage, "A ResNet needs at least one block per stage.");
        if (baseWidth <= 0) throw new ArgumentOutOfRangeException(nameof(baseWidth), baseWidth, "A ResNet needs a positive base width.");
        var b = new NetworkBuilder(name, channels, height, width);
        string x = b.Conv2d(b.Input, baseWidth, 3, padding: 1, bias: false, name: "stem_conv");
        x = b.ReLU(b.BatchNorm2d(x, "stem_bn"), "stem_relu");
        for (int stage = 1; stage <= 3; stage++)
        {
            int w = baseWidth << (stage - 1);
            for (int block = 1; block <= blocksPerStage; block++)
            {
                int stride = stage > 1 && block == 1 ? 2 : 1;
                x = BasicBlock(b, x, w, stride, $"s{stage}b{block}");
            }
        }
        x = b.Flatten(b.GlobalAvgPool(x, "gap"), "flatten");
        return b.Build(b.Linear(x, classes, name: "fc"));
    }

    private static string BasicBlock(NetworkBuilder b, string input, int width, int stride, string prefix)
    {
        string y = b.Conv2d(input, width, 3, stride, 1, bias: false, name: prefix + "_conv1");
        y = b.ReLU(b.BatchNorm2d(y, prefix + "_bn1"), prefix + "_relu1");
        y = b.Conv2d(y, width, 3, 1, 1, bias: false, name: prefix + "_conv2");
        y = b.BatchNorm2d(y, prefix + "_bn2");
        string shortcut = input;
        if (stride != 1 || b.ShapeOf(input)[0] != width)
        {
            shortcut = b.Conv2d(input, width, 1, stride, 0, bias: false, name: prefix + "_down_conv");
            shortcut = b.BatchNorm2d(shortcut, prefix + "_down_bn");
        }
        return b.ReLU(b.Add(y, shortcut, prefix + "_add"), prefix + "_relu2");
    }
}
