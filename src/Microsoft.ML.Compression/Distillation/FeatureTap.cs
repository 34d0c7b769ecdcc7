using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Distillation;

/// <summary>
/// An output module that keeps the last value of a layer's output (after the module it wraps, e.g. an activation
/// quantizer) and owns the hint adapter, so the adapter's weights are among the trained module's parameters.
/// </summary>
internal sealed class FeatureTap : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor>? _inner;

    public FeatureTap(string name, nn.Module<Tensor, Tensor>? inner, nn.Module<Tensor, Tensor>? adapter) : base(name + "_hint")
    {
        _inner = inner;
        Adapter = adapter;
        if (inner is not null) register_module("inner", inner);
        if (adapter is not null) register_module("adapter", adapter);
    }

    /// <summary>Maps the student's channels to the teacher's; null when they already match.</summary>
    public nn.Module<Tensor, Tensor>? Adapter { get; }

    /// <summary>The value of the last forward pass (valid within the step that computed it).</summary>
    public Tensor? Value { get; private set; }

    public override Tensor forward(Tensor x)
    {
        Tensor y = _inner is null ? x : _inner.call(x);
        Value = y;
        return y;
    }
}

/// <summary>A 1x1 convolution over [N, C, H, W] (or a linear map over [N, F]) computed as a matrix product.</summary>
/// <remarks>A matrix product avoids libtorch's CPU convolution faults on channel counts that are not multiples of 16.</remarks>
internal sealed class ChannelAdapter : nn.Module<Tensor, Tensor>
{
    private readonly TorchSharp.Modules.Linear _map;

    public ChannelAdapter(int from, int to) : base("adapter")
    {
        _map = nn.Linear(from, to);
        register_module("map", _map);
    }

    public override Tensor forward(Tensor x) =>
        x.dim() == 4 ? _map.call(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2) : _map.call(x);
}
