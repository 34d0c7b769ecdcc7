using Microsoft.ML.Compression.Compressed;
using Microsoft.ML.Compression.Graph;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Quantization.LowBit;

/// <summary>
/// A Conv2d or Linear layer whose weights are computed from something trainable and mapped onto 2^bits levels per
/// output channel; the wrapped layer keeps its geometry and bias. Subclasses define the weights while training and
/// the final level codes.
/// </summary>
internal abstract class LowBitWeightModule : nn.Module<Tensor, Tensor>
{
    private readonly IWeightedLayer _layer;
    private readonly long[] _scaleShape;

    protected LowBitWeightModule(Layer layer, nn.Module<Tensor, Tensor> original, int bits, float[] scales)
        : base(layer.Name.Replace('.', '_') + "_lowbit")
    {
        _layer = layer as IWeightedLayer ?? throw new ArgumentException($"Layer '{layer.Name}' ({layer.Kind}) has no weights to quantize.", nameof(layer));
        Original = original;
        Bits = bits;
        Scales = scales;
        WeightShape = layer.ParameterShape("weight");
        _scaleShape = new long[WeightShape.Length];
        Array.Fill(_scaleShape, 1L);
        _scaleShape[0] = scales.Length;
        Levels = torch.tensor(WeightLevels.Values(bits));
        ScaleTensor = torch.tensor(scales).reshape(_scaleShape);
        register_module("layer", original);
    }

    /// <summary>The layer module being quantized (its weight tensor holds the latent float weights, if any; its bias trains).</summary>
    public nn.Module<Tensor, Tensor> Original { get; }

    /// <summary>Bits per weight.</summary>
    public int Bits { get; }

    /// <summary>Fixed per-output-channel scales.</summary>
    public float[] Scales { get; }

    /// <summary>Shape of the weight tensor.</summary>
    public int[] WeightShape { get; }

    /// <summary>The levels before scaling, [L].</summary>
    protected Tensor Levels { get; }

    /// <summary>The scales shaped to broadcast over the weight, [C, 1, ...].</summary>
    protected Tensor ScaleTensor { get; }

    /// <summary>The weights the layer uses in this step.</summary>
    protected abstract Tensor Weight();

    /// <summary>The level code of every weight now (what the exported model stores).</summary>
    public abstract byte[] Codes();

    /// <summary>The codes and scales as <see cref="LevelWeights"/>.</summary>
    public LevelWeights ToWeights() => new(Bits, WeightShape, Codes(), Scales);

    public override Tensor forward(Tensor x) => _layer.Apply(x, Weight(), _layer.TensorsOf(Original).Bias);

    /// <summary>Codes of the levels nearest to <paramref name="weight"/> / scale, [same shape as the weight], as int64.</summary>
    protected Tensor NearestCodes(Tensor weight)
    {
        int count = WeightLevels.Count(Bits);
        using var _ = torch.no_grad();
        return weight.detach().div(ScaleTensor).div_(WeightLevels.Spacing(Bits)).add_(count / 2 - 0.5).round_().clamp_(0, count - 1).to(ScalarType.Int64);
    }

    /// <summary>The weight tensor of the wrapped layer.</summary>
    protected Tensor LatentWeight => _layer.TensorsOf(Original).Weight;

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Levels.Dispose();
            ScaleTensor.Dispose();
        }
        base.Dispose(disposing);
    }
}

/// <summary>
/// Straight-through-estimator QAT at b bits (the int8 SimQAT weight path generalised): the forward pass uses the
/// nearest level of each latent float weight, the backward pass treats the rounding as the identity.
/// </summary>
internal sealed class SteWeightModule : LowBitWeightModule
{
    public SteWeightModule(Layer layer, nn.Module<Tensor, Tensor> original, int bits, float[] scales)
        : base(layer, original, bits, scales) { }

    protected override Tensor Weight()
    {
        Tensor latent = LatentWeight;
        using Tensor codes = NearestCodes(latent);
        Tensor rounded = Levels.index_select(0, codes.flatten()).reshape(latent.shape).mul_(ScaleTensor);
        return latent.add(rounded.sub_(latent.detach()));
    }

    public override byte[] Codes()
    {
        using Tensor codes = NearestCodes(LatentWeight);
        return codes.flatten().to(ScalarType.Byte).data<byte>().ToArray();
    }
}
