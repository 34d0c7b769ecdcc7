using Microsoft.ML.Compression.Graph;

namespace Microsoft.ML.Compression.Zoo;

public static partial class NetworkZoo
{
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
}
