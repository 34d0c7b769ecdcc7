using Microsoft.ML.Compression.Graph;

namespace Microsoft.ML.Compression.Zoo;

public static partial class NetworkZoo
{
    /// <summary>
    /// A small MobileNetV2 (Sandler et al. 2018): a 3x3 stem of <paramref name="baseWidth"/> channels, inverted residual
    /// blocks (1x1 expansion by <paramref name="expansion"/>, 3x3 depthwise convolution, 1x1 linear projection, each with
    /// BatchNorm and ReLU6 but the last; a residual Add where shape allows) with widths 16, 24 (stride 2), 24, 32
    /// (stride 2), 32 for the default base width, then a 1x1 head, global average pooling and one fc layer. The paper's
    /// network, for images of any size, is <see cref="MobileNetV2(ImageInput, int, double)"/>.
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
            x = InvertedResidual(b, x, (int)(baseWidth * blocks[i].Width), blocks[i].Stride, b.ShapeOf(x)[0] * expansion, expand: true, $"b{i + 1}");
        x = b.ReLU6(b.BatchNorm2d(b.Conv2d(x, baseWidth * 4, 1, bias: false, name: "head_conv"), "head_bn"), "head_relu");
        x = b.Flatten(b.GlobalAvgPool(x, "gap"), "flatten");
        return b.Build(b.Linear(x, classes, name: "fc"));
    }

    /// <summary>
    /// MobileNetV2 as in the paper (Sandler et al. 2018) and torchvision: a 3x3 stride-2 stem of 32 channels, inverted
    /// residual stages (t, c, n, s) = (1,16,1,1), (6,24,2,2), (6,32,3,2), (6,64,4,2), (6,96,3,1), (6,160,3,2),
    /// (6,320,1,1) (expansion t, channels c, n blocks, stride s of the first), a 1x1 conv to 1280 channels, global
    /// average pooling, dropout 0.2 and one fc layer. Every block is a 1x1 expansion (absent when t = 1), a 3x3 depthwise
    /// convolution and a 1x1 linear projection, each with BatchNorm and ReLU6 but the last, plus a residual Add where the
    /// stride is 1 and the width unchanged.
    /// Channels are <paramref name="widthMultiplier"/> times the paper's, rounded to the nearest multiple of 8 but not
    /// below 90% of the scaled value (nor below 8); the last conv keeps 1280 channels below 1.0 and grows above it.
    /// Images of 32 px or less (shorter side) get the common CIFAR adaptation: stride 1 in the stem and in the first
    /// stride-2 stage (c = 24), so the network divides the size by 8 (32 gives a 4x4 last map) instead of by 32.
    /// The image is normalized as <paramref name="input"/> says by the network's first layer (fixed, not trained).
    /// </summary>
    /// <param name="input">The images: channels, size, layout and normalization (e.g. <see cref="ImageInput.Rgb"/>).</param>
    /// <param name="classes">Outputs of the fc layer.</param>
    /// <param name="widthMultiplier">The paper's width multiplier (1.0, 0.75, 0.5, 0.35...).</param>
    /// <exception cref="ArgumentException">The input is smaller than 8x8 pixels (the network's total stride for small images).</exception>
    public static NetworkGraph MobileNetV2(ImageInput input, int classes = 10, double widthMultiplier = 1.0)
    {
        if (!(widthMultiplier > 0) || double.IsInfinity(widthMultiplier))
            throw new ArgumentOutOfRangeException(nameof(widthMultiplier), widthMultiplier, "A MobileNetV2 needs a positive, finite width multiplier.");
        ArgumentNullException.ThrowIfNull(input);
        bool small = Math.Min(input.Height, input.Width) <= 32;
        CheckSize("mobilenetv2", input, small ? 8 : 32, $"its stem and stages divide the size by {(small ? 8 : 32)}");
        var b = new NetworkBuilder("mobilenetv2", input);
        string x = b.Conv2d(b.Input, MakeDivisible(32 * widthMultiplier), 3, small ? 1 : 2, 1, bias: false, name: "stem_conv");
        x = b.ReLU6(b.BatchNorm2d(x, "stem_bn"), "stem_relu");
        var stages = new (int T, int C, int N, int S)[] { (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1) };
        for (int stage = 0; stage < stages.Length; stage++)
        {
            var (t, c, n, s) = stages[stage];
            if (small && stage == 1) s = 1; // CIFAR adaptation: keep the resolution of the first stride-2 stage
            int width = MakeDivisible(c * widthMultiplier);
            for (int block = 1; block <= n; block++)
                x = InvertedResidual(b, x, width, block == 1 ? s : 1, b.ShapeOf(x)[0] * t, expand: t != 1, $"s{stage + 1}b{block}");
        }
        x = b.Conv2d(x, MakeDivisible(1280 * Math.Max(1.0, widthMultiplier)), 1, bias: false, name: "head_conv");
        x = b.ReLU6(b.BatchNorm2d(x, "head_bn"), "head_relu");
        x = b.Dropout(b.Flatten(b.GlobalAvgPool(x, "gap"), "flatten"), 0.2, "dropout");
        return b.Build(b.Linear(x, classes, name: "fc"));
    }

    /// <summary>
    /// The paper's channel rounding: <paramref name="value"/> to the nearest multiple of <paramref name="divisor"/> (at
    /// least <paramref name="divisor"/>), one multiple more where rounding down lost over 10%.
    /// </summary>
    internal static int MakeDivisible(double value, int divisor = 8)
    {
        int rounded = Math.Max(divisor, (int)(value + divisor / 2.0) / divisor * divisor);
        return rounded < 0.9 * value ? rounded + divisor : rounded;
    }

    private static string InvertedResidual(NetworkBuilder b, string input, int width, int stride, int hidden, bool expand, string prefix)
    {
        int inWidth = b.ShapeOf(input)[0];
        string y = input;
        if (expand)
        {
            y = b.Conv2d(input, hidden, 1, bias: false, name: prefix + "_expand");
            y = b.ReLU6(b.BatchNorm2d(y, prefix + "_expand_bn"), prefix + "_expand_relu");
        }
        y = b.Conv2d(y, hidden, 3, stride, 1, groups: hidden, bias: false, name: prefix + "_dw");
        y = b.ReLU6(b.BatchNorm2d(y, prefix + "_dw_bn"), prefix + "_dw_relu");
        y = b.BatchNorm2d(b.Conv2d(y, width, 1, bias: false, name: prefix + "_project"), prefix + "_project_bn");
        return stride == 1 && inWidth == width ? b.Add(y, input, prefix + "_add") : y;
    }
}
