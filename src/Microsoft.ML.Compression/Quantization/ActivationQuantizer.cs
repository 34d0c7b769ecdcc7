using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Quantization;

/// <summary>How an activation quantizer learns its range during quantization-aware training.</summary>
public enum RangeTracking
{
    /// <summary>The smallest and largest value seen in any training batch (Golden Stick's default, without EMA).</summary>
    MinMax,
    /// <summary>Exponential moving average of each batch's minimum and maximum (decay <c>EmaDecay</c>, 0.999 by default).</summary>
    Ema,
}

/// <summary>
/// Fake-quantizes one activation tensor to uint8. While training it tracks the tensor's range from each batch
/// (<see cref="RangeTracking"/>); once <see cref="Quantizing"/> is on, it rounds the tensor onto the grid of that range.
/// With fixed parameters it only rounds (the simulation of an exported model).
/// </summary>
internal sealed class ActivationQuantizer : nn.Module<Tensor, Tensor>
{
    private readonly RangeTracking _tracking;
    private readonly double _emaDecay;
    private readonly QuantParams? _fixed;
    private float _min = float.PositiveInfinity, _max = float.NegativeInfinity;

    /// <summary>A tracking quantizer (quantization-aware training).</summary>
    public ActivationQuantizer(string name, RangeTracking tracking, double emaDecay) : base(name)
    {
        _tracking = tracking;
        _emaDecay = emaDecay;
    }

    /// <summary>A quantizer with fixed parameters that always rounds.</summary>
    public ActivationQuantizer(string name, QuantParams parameters) : base(name)
    {
        _fixed = parameters;
        Quantizing = true;
    }

    /// <summary>Whether forward rounds onto the grid (off during the quantization delay).</summary>
    public bool Quantizing { get; set; }

    /// <summary>The tracked range (infinities before any batch), kept by training checkpoints.</summary>
    internal (float Min, float Max) TrackedRange
    {
        get => (_min, _max);
        set => (_min, _max) = value;
    }

    /// <summary>True once a range is known.</summary>
    public bool HasRange => _fixed is not null || _min <= _max;

    /// <summary>The current parameters; throws before any batch was seen.</summary>
    public QuantParams Parameters => _fixed ?? (HasRange ? QuantParams.FromRange(_min, _max, GetName())
        : throw new InvalidOperationException($"Activation quantizer '{GetName()}' has not seen any data yet."));

    public override Tensor forward(Tensor x)
    {
        (float, float)? batchRange = training && _fixed is null ? Observe(x) : null;
        return Quantizing && HasRange ? FakeQuantize.Activation(x, Parameters, batchRange) : x;
    }

    /// <summary>The smallest and largest value of <paramref name="x"/> (one pass, outside autograd).</summary>
    internal static (float Min, float Max) RangeOf(Tensor x)
    {
        using var _ = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var (lo, hi) = torch.aminmax(Flat(x.detach()));
        return (lo.item<float>(), hi.item<float>());
    }

    /// <summary>
    /// The values of <paramref name="x"/> as one dimension in memory order, copied only when no view exists. libtorch
    /// reduces a whole 4-D tensor several times slower than its flat view, and a channels-last map (how the graph keeps
    /// wide feature maps while training) about six times slower: 0.69 ms against 0.12 ms for a [64, 16, 28, 28] map.
    /// For any computation that does not depend on the values' order (ranges, histograms).
    /// </summary>
    internal static Tensor Flat(Tensor x)
    {
        if (x.is_contiguous()) return x.view(-1);
        if (x.dim() == 4)
        {
            Tensor nhwc = x.permute(0, 2, 3, 1);
            if (nhwc.is_contiguous()) return nhwc.view(-1);
        }
        return x.reshape(-1);
    }

    /// <summary>Updates the tracked range with <paramref name="x"/>'s and returns the batch's own range.</summary>
    private (float Min, float Max) Observe(Tensor x)
    {
        (float batchMin, float batchMax) = RangeOf(x);
        if (!HasRange || _tracking == RangeTracking.MinMax)
        {
            _min = Math.Min(_min, batchMin);
            _max = Math.Max(_max, batchMax);
        }
        else
        {
            _min = (float)(_emaDecay * _min + (1 - _emaDecay) * batchMin);
            _max = (float)(_emaDecay * _max + (1 - _emaDecay) * batchMax);
        }
        return (batchMin, batchMax);
    }
}
