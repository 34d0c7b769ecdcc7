using System;
using Microsoft.ML.Compression.Graph;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Quantization;

/// <summary>
/// A convolution with fake-quantized weights and bias. With a BatchNorm attached it trains folded
/// (the BN scale gamma / sqrt(running var + eps) is multiplied into the weights before they are quantized, and the
/// convolution output is divided by it again so the BN still normalises with the batch statistics); once the BN is
/// frozen, it computes exactly the folded inference form, with running statistics and a quantized bias.
/// </summary>
internal sealed class FakeQuantConv : nn.Module<Tensor, Tensor>
{
    private readonly Conv2dLayer _layer;
    private readonly Conv2d _conv;
    private readonly BatchNorm2d? _bn;
    private readonly double _bnMomentum, _bnEpsilon;
    private readonly Func<ActivationQuantizer?> _input;
    private readonly int _bits;

    public FakeQuantConv(Conv2dLayer layer, Conv2d conv, BatchNorm2dLayer? bnLayer, BatchNorm2d? bn, Func<ActivationQuantizer?> input, int bits)
        : base(layer.Name.Replace('.', '_') + "_fq")
    {
        _layer = layer;
        _conv = conv;
        _bn = bn;
        _bnMomentum = bnLayer?.Momentum ?? 0.1;
        _bnEpsilon = bnLayer?.Epsilon ?? 1e-5;
        _input = input;
        _bits = bits;
        register_module("conv", conv);
        if (bn is not null) register_module("bn", bn);
    }

    /// <summary>Whether weights (and, with frozen or no BN, the bias) are rounded; off during the quantization delay.</summary>
    public bool Quantizing { get; set; } = true;

    /// <summary>Whether the attached BN uses its running statistics (and stops updating them).</summary>
    public bool BatchNormFrozen { get; set; }

    public override Tensor forward(Tensor x)
    {
        if (_bn is null)
            return Convolve(x, Weights(_conv.weight!), QuantizedBias(_conv.bias, WeightScales(_conv.weight!)));

        Tensor rm = _bn.running_mean!, rv = _bn.running_var!, gamma = _bn.weight!, beta = _bn.bias!;
        Tensor factor = gamma / (rv + _bnEpsilon).sqrt(); // per output channel
        Tensor scaled = _conv.weight! * factor.reshape(-1, 1, 1, 1);
        Tensor w = Weights(scaled);
        if (training && !BatchNormFrozen)
        {
            Tensor y = Convolve(x, w, null) / factor.reshape(1, -1, 1, 1);
            if (_conv.bias is not null) y = y + _conv.bias.reshape(1, -1, 1, 1);
            return nn.functional.batch_norm(y, rm, rv, gamma, beta, training: true, momentum: _bnMomentum, eps: _bnEpsilon);
        }
        Tensor convBias = _conv.bias ?? torch.zeros_like(rm);
        Tensor bias = beta + (convBias - rm) * factor;
        return Convolve(x, w, QuantizedBias(bias, WeightScales(scaled)));
    }

    private Tensor Weights(Tensor w) => Quantizing ? FakeQuantize.WeightsPerChannel(w, WeightScales(w), _bits) : w;

    private Tensor WeightScales(Tensor w) => FakeQuantize.WeightScales(w, _bits);

    private Tensor? QuantizedBias(Tensor? bias, Tensor weightScales) =>
        Quantizing ? QuantizedBias(bias, weightScales, _input(), training) : bias;

    /// <summary>
    /// The bias rounded to int32 with scale input scale x weight scale, when the input is quantized. Training skips
    /// the rounding (a step of about 1e-5 of the bias range) to save time per step.
    /// </summary>
    internal static Tensor? QuantizedBias(Tensor? bias, Tensor weightScales, ActivationQuantizer? input, bool training) =>
        bias is null || training || input is null || !input.HasRange ? bias : FakeQuantize.Bias(bias, input.Parameters.Scale, weightScales);

    private Tensor Convolve(Tensor x, Tensor w, Tensor? b) => ConvolutionKernel.Conv2d(x, w, b, _layer);
}

/// <summary>A fully connected layer with fake-quantized weights and bias.</summary>
internal sealed class FakeQuantLinear : nn.Module<Tensor, Tensor>
{
    private readonly Linear _linear;
    private readonly Func<ActivationQuantizer?> _input;
    private readonly int _bits;

    public FakeQuantLinear(LinearLayer layer, Linear linear, Func<ActivationQuantizer?> input, int bits)
        : base(layer.Name.Replace('.', '_') + "_fq")
    {
        _linear = linear;
        _input = input;
        _bits = bits;
        register_module("linear", linear);
    }

    /// <summary>Whether weights and bias are rounded; off during the quantization delay.</summary>
    public bool Quantizing { get; set; } = true;

    public override Tensor forward(Tensor x)
    {
        Tensor weight = _linear.weight!;
        if (!Quantizing) return nn.functional.linear(x, weight, _linear.bias);
        Tensor scales = FakeQuantize.WeightScales(weight, _bits);
        Tensor w = FakeQuantize.WeightsPerChannel(weight, scales, _bits);
        return nn.functional.linear(x, w, FakeQuantConv.QuantizedBias(_linear.bias, scales, _input(), training));
    }
}
