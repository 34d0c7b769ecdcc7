using Microsoft.ML.Compression.Graph;

namespace Microsoft.ML.Compression.Zoo;

public static partial class NetworkZoo
{
    /// <summary>
    /// ResNet-20 in the CIFAR style (He et al. 2016): a 3x3 stem, three stages of three BasicBlocks with
    /// <paramref name="baseWidth"/>, 2x and 4x channels, stride 2 at the start of stages 2 and 3 with a 1x1 conv + BN
    /// downsample shortcut, global average pooling and one fc layer. 28x28 inputs give 28, 14 and 7 pixel stages.
    /// The ImageNet ResNets, for images of any size, are <see cref="ResNet18"/> and <see cref="ResNet34"/>.
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
    /// ResNet-18 (He et al. 2016): BasicBlocks [2, 2, 2, 2] in four stages of <paramref name="baseWidth"/>, 2x, 4x and
    /// 8x channels, stride 2 at the first block of stages 2-4 with a 1x1 conv + BN downsample shortcut, global average
    /// pooling and one fc layer. The stem depends on the shorter side of <paramref name="input"/>:
    /// <list type="bullet">
    /// <item>64 px and more: the ImageNet stem, 7x7 stride-2 conv, BN, ReLU, 3x3 stride-2 max pool (padding 1); the
    /// network divides the size by 32 (224 gives 56, 28, 14 and 7 pixel stages).</item>
    /// <item>33 to 63 px: a 3x3 stride-1 conv, BN, ReLU and the 3x3 stride-2 max pool; the network divides the size by
    /// 16 (48 gives 24, 12, 6 and 3), so the last stage keeps 3 or 4 pixels where the ImageNet stem would leave 2.</item>
    /// <item>32 px and less: the CIFAR stem, a 3x3 stride-1 conv, BN, ReLU and no pooling; the network divides the size
    /// by 8 (32 gives 32, 16, 8 and 4).</item>
    /// </list>
    /// The image is normalized as <paramref name="input"/> says by the network's first layer (fixed, not trained).
    /// </summary>
    /// <param name="input">The images: channels, size, layout and normalization (e.g. <see cref="ImageInput.Rgb"/>).</param>
    /// <param name="classes">Outputs of the fc layer.</param>
    /// <param name="baseWidth">Channels of the stem and the first stage (64 in the paper).</param>
    /// <exception cref="ArgumentException">The input is smaller than the network's total stride (8 pixels with the CIFAR stem).</exception>
    public static NetworkGraph ResNet18(ImageInput input, int classes = 10, int baseWidth = 64) =>
        ImageResNet("resnet18", new[] { 2, 2, 2, 2 }, input, classes, baseWidth);

    /// <summary>ResNet-34: as <see cref="ResNet18"/> (same stems and stages) with BasicBlocks [3, 4, 6, 3].</summary>
    /// <param name="input">The images: channels, size, layout and normalization (e.g. <see cref="ImageInput.Rgb"/>).</param>
    /// <param name="classes">Outputs of the fc layer.</param>
    /// <param name="baseWidth">Channels of the stem and the first stage (64 in the paper).</param>
    /// <exception cref="ArgumentException">The input is smaller than the network's total stride (8 pixels with the CIFAR stem).</exception>
    public static NetworkGraph ResNet34(ImageInput input, int classes = 10, int baseWidth = 64) =>
        ImageResNet("resnet34", new[] { 3, 4, 6, 3 }, input, classes, baseWidth);

    private static NetworkGraph ImageResNet(string name, int[] blocksPerStage, ImageInput input, int classes, int baseWidth)
    {
        if (baseWidth <= 0) throw new ArgumentOutOfRangeException(nameof(baseWidth), baseWidth, "A ResNet needs a positive base width.");
        ArgumentNullException.ThrowIfNull(input);
        int side = Math.Min(input.Height, input.Width);
        int stemStride = side >= 64 ? 4 : side > 32 ? 2 : 1;
        CheckSize(name, input, stemStride * 8, $"its stem and stages divide the size by {stemStride * 8}");
        var b = new NetworkBuilder(name, input);
        string x = stemStride == 4
            ? b.Conv2d(b.Input, baseWidth, 7, 2, 3, bias: false, name: "stem_conv")
            : b.Conv2d(b.Input, baseWidth, 3, 1, 1, bias: false, name: "stem_conv");
        x = b.ReLU(b.BatchNorm2d(x, "stem_bn"), "stem_relu");
        if (stemStride > 1) x = b.MaxPool2d(x, 3, 2, 1, name: "stem_pool");
        for (int stage = 1; stage <= blocksPerStage.Length; stage++)
        {
            int w = baseWidth << (stage - 1);
            for (int block = 1; block <= blocksPerStage[stage - 1]; block++)
                x = BasicBlock(b, x, w, stage > 1 && block == 1 ? 2 : 1, $"s{stage}b{block}");
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
