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

    /// <summary>
    /// A small MobileNetV2 (Sandler et al. 2018): a 3x3 stem of <paramref name="baseWidth"/> channels, inverted residual
    /// blocks (1x1 expansion by <paramref name="expansion"/>, 3x3 depthwise convolution, 1x1 linear projection, each with
    /// BatchNorm and ReLU6 but the last; a residual Add where shape allows) with widths 16, 24 (stride 2), 24, 32
    /// (stride 2), 32 for the default base width, then a 1x1 head, global average pooling and one fc layer.
    /// </summary>
    public static NetworkGraph MobileNetV2(int classes = 10, int baseWidth = 16, int expansion = 4, int channels = 1, int height = 28, int width = 28)
    {
        if (baseWidth <= 0) throw new ArgumentOutOfRangeException(nameof(baseWidth), baseWidth, "A MobileNetV2 needs a positive base width.");
        if (expansion <= 0) throw new ArgumentOutOfRangeException(nameof(expansion), expansion, "A MobileNetV2 needs a positive expansion factor.");
        var b = new NetworkBuilder("mobilenetv2", channels, height, width);
        string x = b.Conv2d(b.Input, baseWidth, 3, padding: 1, bias: false, name: "stem_conv");
        x = b.ReLU6(b.BatchNorm2d(x, "stem_bn"), "stem_relu");
        var blocks = new (double Width, int Stride)[] { (1, 1), (1.5, 2), (1.5, 1), (2, 2), (2, 1) };
        for (int i = 0; i < blocks.Length; i++)
            x = InvertedResidual(b, x, (int)(baseWidth * blocks[i].Width), blocks[i].Stride, expansion, $"b{i + 1}");
        x = b.ReLU6(b.BatchNorm2d(b.Conv2d(x, baseWidth * 4, 1, bias: false, name: "head_conv"), "head_bn"), "head_relu");
        x = b.Flatten(b.GlobalAvgPool(x, "gap"), "flatten");
        return b.Build(b.Linear(x, classes, name: "fc"));
    }

    private static string InvertedResidual(NetworkBuilder b, string input, int width, int stride, int expansion, string prefix)
    {
        int inWidth = b.ShapeOf(input)[0];
        int hidden = inWidth * expansion;
        string y = b.Conv2d(input, hidden, 1, bias: false, name: prefix + "_expand");
        y = b.ReLU6(b.BatchNorm2d(y, prefix + "_expand_bn"), prefix + "_expand_relu");
        y = b.Conv2d(y, hidden, 3, stride, 1, groups: hidden, bias: false, name: prefix + "_dw");
        y = b.ReLU6(b.BatchNorm2d(y, prefix + "_dw_bn"), prefix + "_dw_relu");
        y = b.BatchNorm2d(b.Conv2d(y, width, 1, bias: false, name: prefix + "_project"), prefix + "_project_bn");
        return stride == 1 && inWidth == width ? b.Add(y, input, prefix + "_add") : y;
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
