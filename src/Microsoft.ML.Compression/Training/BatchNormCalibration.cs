using TorchSharp;
using TorchSharp.Modules;
using Microsoft.ML.Compression.Graph;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Training;

/// <summary>
/// Re-estimates the running statistics of every BatchNorm from data, with the rest of the network in eval mode: after
/// weights change discontinuously (low-bit weights hardening), the statistics gathered while training no longer
/// describe the activations.
/// </summary>
public static class BatchNormCalibration
{
    /// <summary>
    /// Replaces each BatchNorm's running mean and variance by their average over the batches of the first
    /// <paramref name="rows"/> rows of <paramref name="data"/> (the whole set if it has fewer). Leaves the module in eval mode.
    /// </summary>
    /// <returns>The number of BatchNorm layers recalibrated.</returns>
    public static int Recalibrate(GraphModule module, LabeledDataset data, int rows, int batchSize = 256)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(data);
        if (rows < 2) throw new ArgumentOutOfRangeException(nameof(rows), rows, "BatchNorm calibration needs at least 2 rows.");
        var norms = module.Graph.Layers.OfType<BatchNorm2dLayer>().Select(l => (BatchNorm2d)module.ModuleOf(l.Name)!).ToList();
        module.eval();
        if (norms.Count == 0) return 0;
        // Checked before the statistics are reset: one row gives no batch of two, and the layers would be left with
        // reset (0 mean, 1 variance) statistics instead of the trained ones.
        if (data.Count < 2)
            throw new ArgumentException(
                $"BatchNorm recalibration needs at least 2 rows, but the data has {data.Count}; the running statistics of {string.Join(", ", module.Graph.Layers.OfType<BatchNorm2dLayer>().Select(l => $"'{l.Name}'"))} were left as trained.",
                nameof(data));

        var momenta = norms.Select(n => n.momentum).ToList();
        foreach (var norm in norms)
        {
            norm.reset_running_stats();
            norm.train();
        }
        try
        {
            using var noGrad = torch.no_grad();
            int count = Math.Min(rows, data.Count);
            int[] order = Enumerable.Range(0, count).ToArray();
            int batch = 0;
            for (int start = 0; start + 1 < count; start += batchSize, batch++)
            {
                // Momentum 1/(k+1) keeps the running values equal to the plain average of the k+1 batches so far.
                foreach (var norm in norms) norm.momentum = 1.0 / (batch + 1);
                using var scope = torch.NewDisposeScope();
                (Tensor x, _) = TrainingLoop.Batch(data, order, start, Math.Min(batchSize, count - start));
                module.call(x);
            }
        }
        finally
        {
            for (int i = 0; i < norms.Count; i++)
            {
                norms[i].momentum = momenta[i];
                norms[i].eval();
            }
        }
        return norms.Count;
    }
}
