using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Pruning.Scop;

/// <summary>
/// What a Gaussian knockoff adds to its row: X~ = x + Offset(x - mu), with Offset(r) = -r Sigma^-1 S + noise and noise
/// drawn from N(0, 2S - S Sigma^-1 S), all over the varying features.
/// </summary>
internal abstract class KnockoffConditional
{
    /// <summary>r Sigma^-1 S for centered rows r [N, q].</summary>
    public abstract Tensor Shift(Tensor centered);

    /// <summary>Noise for <paramref name="rows"/> rows [rows, q], covariance <see cref="NoiseCovariance"/>.</summary>
    public abstract Tensor Noise(long rows);

    /// <summary>2S - S Sigma^-1 S as a [q, q] matrix (for checks; the sampler may never form it).</summary>
    public abstract Tensor NoiseCovariance();
}

/// <summary>Sigma^-1 S and a square root of the noise covariance held as [q, q] matrices: q^2 memory, q^3 to fit.</summary>
internal sealed class DenseKnockoffConditional : KnockoffConditional
{
    private readonly Tensor _shift; // [q, q] Sigma^-1 S
    private readonly Tensor _noise; // [q, q] with noise @ noise^T = 2S - S Sigma^-1 S

    public DenseKnockoffConditional(Tensor shift, Tensor noise) => (_shift, _noise) = (shift, noise);

    public override Tensor Shift(Tensor centered) => centered.matmul(_shift);

    public override Tensor Noise(long rows) => randn(rows, _noise.shape[0], dtype: float64).matmul(_noise.T);

    public override Tensor NoiseCovariance() => _noise.matmul(_noise.T);
}
