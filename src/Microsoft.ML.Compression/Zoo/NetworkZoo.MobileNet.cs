using Microsoft.ML.Compression.Graph;

namespace Microsoft.ML.Compression.Zoo;

public static partial class NetworkZoo
{
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
}
