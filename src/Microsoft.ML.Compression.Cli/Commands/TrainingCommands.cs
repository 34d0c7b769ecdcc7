using System.Globalization;
using Microsoft.ML.Compression.Estimators;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Training;
using Microsoft.ML.Compression.Zoo;

namespace Microsoft.ML.Compression.Cli.Commands;

/// <summary>The verbs that train on labelled images: <c>qat</c>, <c>prune</c> and <c>train</c>.</summary>
public static class TrainingCommands
{
    /// <summary>The zoo networks <c>train</c> builds.</summary>
    public static readonly string[] Networks =
        { "lenet5", "lenet5-bn", "vgg", "resnet20", "resnet18", "resnet34", "mobilenetv2", "mobilenetv2-small" };

    /// <summary><c>qat &lt;model.onnx&gt; --data &lt;folder|idx&gt; -o &lt;out.onnx&gt; [--epochs 1]</c>: int8 quantization-aware training.</summary>
    public static int Qat(CommandLine line)
    {
        string model = Common.ModelPath(line);
        var run = new CompressionRun(line, "data", null);
        var options = Training(line, run, new QuantizeAwareTrainer.Options { Epochs = 1, LearningRate = 0.01 });
        options.Latency = Common.Int8Latency(line);
        return run.Execute("qat", model, null, null, labelled: true, options.Epochs, (ml, network, data, onEpoch) =>
        {
            options.OnEpoch = onEpoch;
            return ml.Transforms.Compression.QuantizeAwareTraining(network, options).Fit(data);
        }, new { method = "simqat-int8", options.Epochs, optimizer = options.Optimizer.ToString(), options.LearningRate, options.BatchSize, latencyCheck = options.Latency.Check.ToString() });
    }

    /// <summary>
    /// <c>prune &lt;model.onnx&gt; --data &lt;folder|idx&gt; -o &lt;out.onnx&gt; --rate 0.3 [--channel-multiple 8] [--exact-rate] [--target-macs 0.5] [--target-params 0.33] [--epochs 1]</c>:
    /// L1-norm filter pruning with fine-tuning.
    /// </summary>
    public static int Prune(CommandLine line)
    {
        string model = Common.ModelPath(line);
        var run = new CompressionRun(line, "data", null);
        var options = Training(line, run, new L1NormPruner.Options { Epochs = 1, LearningRate = 0.01 });
        options.PruneRate = line.Double("rate", 0.3, min: 0, max: 0.95);
        // The library's default (8): widths ONNX Runtime runs fast, the rate meaning "about"; --exact-rate for exact widths.
        options.ChannelMultiple = line.Int("channel-multiple", options.ChannelMultiple, min: 1, max: 1024);
        options.ExactRate = line.Has("exact-rate");
        options.TargetMacs = line.Has("target-macs") ? line.Double("target-macs", 1, min: 0.01, max: 1) : null;
        options.TargetParameters = line.Has("target-params") ? line.Double("target-params", 1, min: 0.01, max: 1) : null;
        return run.Execute("prune", model, null, null, labelled: true, options.Epochs, (ml, network, data, onEpoch) =>
        {
            options.OnEpoch = onEpoch;
            return ml.Transforms.Compression.L1NormPruning(network, options).Fit(data);
        }, new { method = "l1-norm", rate = options.PruneRate, options.ChannelMultiple, options.ExactRate, options.TargetMacs, options.TargetParameters, options.Epochs, optimizer = options.Optimizer.ToString(), options.LearningRate, options.BatchSize });
    }

    /// <summary>
    /// <c>train --network lenet5|... --data &lt;folder|idx&gt; -o &lt;out.onnx&gt; [--size 28] [--channels 1] [--epochs 5]</c>:
    /// trains a zoo network from scratch on the images.
    /// </summary>
    public static int Train(CommandLine line)
    {
        string name = line.Choice("network", "", Networks);
        if (name.Length == 0) throw CliException.Usage($"Option --network is required: one of {string.Join(", ", Networks)}.");
        var (height, width) = Size(line.String("size") ?? "28");
        int channels = line.Int("channels", 1, min: 1, max: 4);
        var run = new CompressionRun(line, "data", null);
        var options = Training(line, run, new NetworkTrainer.Options { Epochs = 5, Optimizer = OptimizerKind.Adam, LearningRate = 0.002 });
        // Every method can resume; the tool offers it for training, the longest run (the other commands could follow).
        options.CheckpointDirectory = line.String("checkpoint");
        int baseWidth = line.Int("base-width", name is "resnet18" or "resnet34" ? 64 : 16, min: 1, max: 1024);
        double multiplier = line.Double("width-multiplier", 1.0, min: 0.05, max: 4);
        // No normalization in the network: the tool feeds (pixel / 255 - mean) / std to every network alike.
        var input = new ImageInput(channels, height, width);
        NetworkGraph Build(int classes)
        {
            try
            {
                return name switch
                {
                    "lenet5" => NetworkZoo.LeNet5(classes, false, channels, height, width),
                    "lenet5-bn" => NetworkZoo.LeNet5(classes, true, channels, height, width),
                    "vgg" => NetworkZoo.Vgg(classes, channels: channels, height: height, width: width),
                    "resnet20" => NetworkZoo.ResNet20(classes, baseWidth, channels, height, width),
                    "resnet18" => NetworkZoo.ResNet18(input, classes, baseWidth),
                    "resnet34" => NetworkZoo.ResNet34(input, classes, baseWidth),
                    "mobilenetv2" => NetworkZoo.MobileNetV2(input, classes, multiplier),
                    _ => NetworkZoo.MobileNetV2(classes, baseWidth, 4, channels, height, width),
                };
            }
            catch (ArgumentException e)
            {
                throw CliException.Usage($"--network {name} cannot read {channels}x{height}x{width} images (--channels, --size): {e.Message}");
            }
        }
        Build(2); // a size the network cannot read fails before any image is loaded
        return run.Execute("train", null, input, Build, labelled: true, options.Epochs, (ml, network, data, onEpoch) =>
        {
            options.OnEpoch = onEpoch;
            return ml.Transforms.Compression.Train(network, options).Fit(data);
        }, new { network = name, channels, height, width, baseWidth, widthMultiplier = multiplier, options.Epochs, optimizer = options.Optimizer.ToString(), options.LearningRate, options.BatchSize });
    }

    /// <summary>Reads the training options every training verb shares into <paramref name="options"/>.</summary>
    private static T Training<T>(CommandLine line, CompressionRun run, T options) where T : CompressionOptions
    {
        options.Epochs = line.Int("epochs", options.Epochs, min: 1, max: 10_000);
        options.LearningRate = line.Double("lr", options.LearningRate, min: 1e-9, max: 10);
        options.BatchSize = line.Int("batch-size", options.BatchSize, min: 1, max: 65_536);
        options.Optimizer = line.Choice("optimizer", options.Optimizer.ToString().ToLowerInvariant(), "sgd", "adam") == "adam" ? OptimizerKind.Adam : OptimizerKind.Sgd;
        options.Seed = run.Seed;
        options.CancellationToken = run.Token;
        if (run.Threads > 0) options.Threads = run.Threads;
        return options;
    }

    /// <summary>"28" or "32x24" (height x width).</summary>
    private static (int Height, int Width) Size(string s)
    {
        string[] parts = s.Split('x', 'X');
        if (parts.Length is 1 or 2 && parts.All(p => int.TryParse(p, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v is >= 8 and <= 4096))
        {
            int h = int.Parse(parts[0], CultureInfo.InvariantCulture);
            return (h, parts.Length == 2 ? int.Parse(parts[1], CultureInfo.InvariantCulture) : h);
        }
        throw CliException.Usage($"Option --size expects a side or HEIGHTxWIDTH in pixels (8 to 4096), e.g. 28 or 32x24, got '{s}'.");
    }
}
