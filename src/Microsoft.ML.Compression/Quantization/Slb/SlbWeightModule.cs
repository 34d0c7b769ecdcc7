using Microsoft.ML.Compression.Compressed;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Quantization.LowBit;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Quantization.Slb;

/// <summary>How SLB starts the logits over the weight levels.</summary>
public enum SlbLogitInitialization
{
    /// <summary>
    /// From the trained weights: each logit is -2 x (distance to the level, in level spacings)^2, so the nearest level
    /// has the highest logit and the soft weight at temperature 1 stays close to the trained weight.
    /// </summary>
    Pretrained,
    /// <summary>Standard normal logits, discarding the trained weights (Golden Stick's behaviour).</summary>
    Random,
}

/// <summary>
/// SLB's searchable weights (Yang et al., 2020): every weight holds logits over the 2^bits levels; while the weights are
/// soft it is sum_k softmax(logits x T)_k x level_k (times the channel scale), and once hard (after the temperature
/// schedule, and always in eval mode) it is the level with the highest logit.
/// </summary>
internal sealed class SlbWeightModule : LowBitWeightModule
{
    // Width of the pretrained initialisation: with 2, the soft weight at T = 1 follows the trained weight closely.
    private const float InitialSharpness = 2f;
    private readonly Parameter _logits; // [weights, levels]

    public SlbWeightModule(Layer layer, nn.Module<Tensor, Tensor> original, int bits, float[] scales, SlbLogitInitialization initialization)
        : base(layer, original, bits, scales)
    {
        int levels = WeightLevels.Count(bits);
        long count = WeightShape.Aggregate(1L, (a, d) => a * d);
        using (torch.no_grad())
        {
            Tensor logits;
            if (initialization == SlbLogitInitialization.Random)
                logits = torch.randn(count, levels);
            else
            {
                using Tensor u = LatentWeight.detach().div(ScaleTensor).reshape(count, 1);
                using Tensor distance = u.sub(Levels.reshape(1, levels)).div_(WeightLevels.Spacing(bits));
                logits = distance.square().mul_(-InitialSharpness);
            }
            _logits = new Parameter(logits, requires_grad: true);
        }
        register_parameter("logits", _logits);
        LatentWeight.requires_grad_(false); // the logits replace the float weights
    }

    /// <summary>The softmax temperature (multiplies the logits).</summary>
    public double Temperature { get; set; } = 1;

    /// <summary>Whether training also uses the hard weights (after the temperature schedule ends).</summary>
    public bool Hard { get; set; }

    protected override Tensor Weight()
    {
        long[] shape = WeightShape.Select(d => (long)d).ToArray();
        if (!training || Hard)
        {
            using Tensor codes = _logits.detach().argmax(1);
            return Levels.index_select(0, codes).reshape(shape).mul_(ScaleTensor);
        }
        Tensor probabilities = nn.functional.softmax(_logits.mul(Temperature), 1);
        return probabilities.matmul(Levels).reshape(shape).mul(ScaleTensor);
    }

    public override byte[] Codes()
    {
        using Tensor codes = _logits.detach().argmax(1);
        return codes.to(ScalarType.Byte).data<byte>().ToArray();
    }
}
