using Microsoft.ML.Compression.Graph;

namespace Microsoft.ML.Compression.Zoo;

public static partial class NetworkZoo
{
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
