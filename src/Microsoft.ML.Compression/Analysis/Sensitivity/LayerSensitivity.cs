using Microsoft.ML.Compression.Compressed;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Pruning;
using Microsoft.ML.Compression.Training;
using Microsoft.ML.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Analysis.Sensitivity;

/// <summary>
/// Compresses one layer (or channel group) at a time and scores the network on validation rows, as AIMET's and NNI's
/// per-layer sensitivity tables do: weights rounded to nearest at each width, or the smallest-L1 filters of one group
/// masked to zero at each rate. Nothing is trained, so the table says what each layer tolerates before fine-tuning.
/// </summary>
internal static class LayerSensitivity
{
    public static SensitivityReport Analyze(NetworkGraph network, LabeledDataset validation, SensitivityOptions options, IChannel? channel, Action checkAlive)
    {
        if (!network.HasWeights)
            throw new ArgumentException($"Network '{network.Name}' has no trained weights to analyse; train it first or start from a fitted model.", nameof(network));
        using var session = TorchSession.Enter(checkAlive, options.Threads);
        var rows = new List<SensitivityRow>();
        double baseline;
        using (var module = new GraphModule(network)) baseline = TrainingLoop.Evaluate(module, validation).Accuracy;
        channel?.Info(MessageSensitivity.None, $"Sensitivity of {network.Name}: baseline accuracy {baseline:P2} on {validation.Count:N0} rows.");

        if (options.WeightBits.Length > 0) WeightWidths(network, validation, options.WeightBits, baseline, rows, channel, checkAlive);
        if (options.PruneRates.Length > 0) PruneRates(network, validation, options, baseline, rows, channel, checkAlive);
        return new SensitivityReport(network.Name, validation.Count, baseline, rows);
    }

    private static void WeightWidths(NetworkGraph network, LabeledDataset validation, int[] widths, double baseline, List<SensitivityRow> rows,
        IChannel? channel, Action checkAlive)
    {
        using var module = new GraphModule(network);
        foreach (Layer layer in network.Layers.Where(l => l is IWeightedLayer))
        {
            ParameterTensor original = layer.Parameters["weight"];
            (Tensor weight, _) = ((IWeightedLayer)layer).TensorsOf(module.ModuleOf(layer.Name)!);
            foreach (int bits in widths)
            {
                checkAlive();
                float[] rounded = bits == Int8Weights.Bits8
                    ? Int8Weights.Quantize(original.Shape, original.Data).Decode()
                    : LevelWeights.RoundToNearest(bits, original.Shape, original.Data).Decode();
                Overwrite(weight, rounded);
                double accuracy = TrainingLoop.Evaluate(module, validation).Accuracy;
                rows.Add(new SensitivityRow(layer.Name, SensitivityReport.Bits, bits, accuracy, (baseline - accuracy) * 100));
            }
            Overwrite(weight, original.Data);
            channel?.Info(MessageSensitivity.None, $"Sensitivity: {layer.Name}: " + string.Join(", ", rows.Where(r => r.Target == layer.Name).Select(r => $"{r.Column} {r.Accuracy:P2}")));
        }
    }

    private static void PruneRates(NetworkGraph network, LabeledDataset validation, SensitivityOptions options, double baseline, List<SensitivityRow> rows,
        IChannel? channel, Action checkAlive)
    {
        var dependencies = new ChannelDependencies(network, options.Residual);
        IReadOnlyDictionary<int, double> scores = ChannelImportance.FilterL1(dependencies);
        foreach (ChannelGroup group in dependencies.Groups.Where(g => g.Width >= 2))
        {
            foreach (double rate in options.PruneRates)
            {
                checkAlive();
                // At least one channel goes and one stays, as the pruning methods' MinimumChannels = 1.
                int count = Math.Clamp((int)Math.Round(rate * group.Width, MidpointRounding.AwayFromZero), 1, group.Width - 1);
                var removed = group.Channels.OrderBy(c => scores[c.Id]).ThenBy(c => c.Id).Take(count).Select(c => c.Id).ToHashSet();
                using var module = new GraphModule(network);
                ChannelMasks.Apply(module, dependencies, removed);
                double accuracy = TrainingLoop.Evaluate(module, validation).Accuracy;
                rows.Add(new SensitivityRow(group.Name, SensitivityReport.Prune, rate, accuracy, (baseline - accuracy) * 100));
            }
            channel?.Info(MessageSensitivity.None, $"Sensitivity: {group.Name}: " + string.Join(", ", rows.Where(r => r.Target == group.Name).Select(r => $"{r.Column} {r.Accuracy:P2}")));
        }
    }

    private static void Overwrite(Tensor parameter, float[] values)
    {
        using var noGrad = torch.no_grad();
        using Tensor source = torch.tensor(values, parameter.shape);
        parameter.copy_(source);
    }
}
