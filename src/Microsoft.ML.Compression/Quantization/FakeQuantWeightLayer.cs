using Microsoft.ML.Compression.Graph;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Quantization;

/// <summary>
/// A layer with weights (Conv2d, Linear) computed with fake-quantized weights and bias. With a BatchNorm attached
/// (a convolution) it trains folded: the BN scale gamma / sqrt(running var + eps) is multiplied into the weights before
/// they are quantized, and divided out of the quantized weights again so the BN still normalises with the batch statistics;
/// once the BN is frozen it computes exactly the folded inference form, with running statistics and a quantized bias.
/// </summary>
internal sealed class FakeQuantWeightLayer : nn.Module<Tensor, Tensor>
{
    private readonly IWeightedLayer _layer;
    private readonly nn.Module<Tensor, Tensor> _original;
    private readonly BatchNorm2d? _bn;
    private readonly double _bnMomentum, _bnEpsilon;
    private readonly Func<ActivationQuantizer?> _input;
    private readonly int _bits;

    /// <param name="layer">The layer being quantized.</param>
    /// <param name="original">Its own module (whose weight and bias train).</param>
    /// <param name="bnLayer">The BatchNorm folded into it while training, or null.</param>
    /// <param name="bn">That BatchNorm's module, or null.</param>
    /// <param name="input">The quantizer of the tensor the layer reads (its scale fixes the bias grid), or null when it is float.</param>
    /// <param name="bits">Bits of the weights.</param>
    public FakeQuantWeightLayer(Layer layer, nn.Module<Tensor, Tensor> original, BatchNorm2dLayer? bnLayer, BatchNorm2d? bn,
        Func<ActivationQuantizer?> input, int bits)
        : base(layer.Name.Replace('.', '_') + "_fq")
    {
        _layer = layer as IWeightedLayer ?? throw new ArgumentException($"Layer '{layer.Name}' ({layer.Kind}) has no weights to quantize.", nameof(layer));
        _original = original;
        _bn = bn;
        _bnMomentum = bnLayer?.Momentum ?? 0.1;
        _bnEpsilon = bnLayer?.Epsilon ?? 1e-5;
        _input = input;
        _bits = bits;
        register_module("layer", original);
        if (bn is not null) register_module("bn", bn);
    }

    /// <summary>Whether weights (and, with frozen or no BN, the bias) are rounded; off during the quantization delay.</summary>
    public bool Quantizing { get; set; } = true;

    /// <summary>Whether the attached BN uses its running statistics (and stops updating them).</summary>
    public bool BatchNormFrozen { get; set; }

    public override Tensor forward(Tensor x)
    {
        (Tensor weight, Tensor? bias) = _layer.TensorsOf(_original);
        if (_bn is null)
            return _layer.Apply(x, Weights(weight), QuantizedBias(bias, weight));

        Tensor rm = _bn.running_mean!, rv = _bn.running_var!, gamma = _bn.weight!, beta = _bn.bias!;
        Tensor factor = gamma / (rv + _bnEpsilon).sqrt(); // per output channel
        Tensor perFilter = factor.reshape(-1, 1, 1, 1);
        Tensor scaled = weight * perFilter;
        Tensor w = Weights(scaled);
        if (training && !BatchNormFrozen)
        {
            // conv(x, w) / factor, computed as conv(x, w / factor): the same values and gradients (the convolution is
            // linear in each output channel's filter), but the division runs on the filters, not on the whole output
            // map and its gradient, which took about a sixth of a ResNet-20 QAT step.
            Tensor y = _layer.Apply(x, w / perFilter, null);
            if (bias is not null) y = y + bias.reshape(1, -1, 1, 1);
            return nn.functional.batch_norm(y, rm, rv, gamma, beta, training: true, momentum: _bnMomentum, eps: _bnEpsilon);
        }
        Tensor shift = beta + ((bias ?? torch.zeros_like(rm)) - rm) * factor;
        return _layer.Apply(x, w, QuantizedBias(shift, scaled));
    }

    private Tensor Weights(Tensor w) => Quantizing ? FakeQuantize.WeightsPerChannel(w, WeightScales(w), _bits) : w;

    private Tensor WeightScales(Tensor w) => FakeQuantize.WeightScales(w, _bits);

    /// <summary>
    /// The bias rounded to int32 with scale input scale x the scale of <paramref name="weight"/>'s channel, when the
    /// input is quantized. Training skips the rounding (a step of about 1e-5 of the bias range) and with it the
    /// weight scales' half-dozen ops per layer and step.
    /// </summary>
    private Tensor? QuantizedBias(Tensor? bias, Tensor weight)
    {
        if (bias is null || !Quantizing || training) return bias;
        ActivationQuantizer? input = _input();
        return input is null || !input.HasRange ? bias : FakeQuantize.Bias(bias, input.Parameters.Scale, WeightScales(weight));
    }
}
