using System.IO;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Training;

namespace Microsoft.ML.Compression.Quantization.LowBit;

/// <summary>
/// What a checkpoint of low-bit training needs beyond the module's parameters and buffers: the uint8 activation
/// quantizers' tracked ranges (plain fields) and the settings the model was built with (bits, layers, range tracking).
/// Added to the run's hooks so SLB and STE training can resume and return a partial model.
/// </summary>
internal sealed class LowBitCheckpoint : ITrainingHook, ICheckpointedHook
{
    private readonly IReadOnlyDictionary<string, ActivationQuantizer> _quantizers;

    public LowBitCheckpoint(IReadOnlyDictionary<string, ActivationQuantizer> quantizers, string settings)
    {
        _quantizers = quantizers;
        Fingerprint = $"lowbit|{settings}|{string.Join(',', quantizers.Keys.Order(StringComparer.Ordinal))}";
    }

    public string Fingerprint { get; }

    public IReadOnlyDictionary<string, float[]> SaveState() =>
        _quantizers.ToDictionary(e => e.Key, e => new[] { e.Value.TrackedRange.Min, e.Value.TrackedRange.Max }, StringComparer.Ordinal);

    public void LoadState(GraphModule module, IReadOnlyDictionary<string, float[]> state, long step)
    {
        foreach (var (point, quantizer) in _quantizers)
        {
            if (!state.TryGetValue(point, out float[]? range) || range.Length != 2)
                throw new InvalidDataException($"The checkpoint has no range for activation quantizer '{point}'.");
            quantizer.TrackedRange = (range[0], range[1]);
        }
    }
}
