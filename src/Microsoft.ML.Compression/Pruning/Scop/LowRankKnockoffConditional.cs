using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Pruning.Scop;

/// <summary>
/// The same conditional as <see cref="DenseKnockoffConditional"/> without any [q, q] matrix, for inputs with more
/// features than fitted rows (images: 64x64 RGB is 12,288 features, where the dense form needs gigabytes and hours).
/// With D the variances, a the shrinkage and U = sqrt((1 - a) / (n - 1)) Xc^T [q, n], the shrunk covariance is
/// Sigma = aD + U U^T, so by Woodbury, with M = I + U^T (aD)^-1 U [n, n] and S = sD:
/// Sigma^-1 S = (s/a) (I - (aD)^-1 U M^-1 U^T) and 2S - S Sigma^-1 S = s (2 - s/a) D + (s/a)^2 U M^-1 U^T.
/// Fitting costs q n^2 and memory 3 q n; the distribution is exactly the dense one.
/// </summary>
internal sealed class LowRankKnockoffConditional : KnockoffConditional
{
    private readonly double _ratio;    // s / a
    private readonly Tensor _project;  // [q, n] (aD)^-1 U M^-1
    private readonly Tensor _basisT;   // [n, q] U^T
    private readonly Tensor _diagonal; // [q] sqrt(s (2 - s/a) D)
    private readonly Tensor _lowRank;  // [q, n] (s/a) U M^-1/2

    private LowRankKnockoffConditional(double ratio, Tensor project, Tensor basisT, Tensor diagonal, Tensor lowRank) =>
        (_ratio, _project, _basisT, _diagonal, _lowRank) = (ratio, project, basisT, diagonal, lowRank);

    /// <summary>Fits to centered rows <paramref name="centered"/> [n, q] (float64) with variances <paramref name="variance"/> [q].</summary>
    /// <param name="centered">The fitted rows minus their mean, varying features only.</param>
    /// <param name="variance">Each feature's sample variance (n - 1 denominator).</param>
    /// <param name="shrinkage">a in (0, 1).</param>
    /// <param name="s">s_j / sigma_j^2, at most 2a (so the noise covariance stays positive definite).</param>
    public static LowRankKnockoffConditional Fit(Tensor centered, Tensor variance, double shrinkage, double s)
    {
        using var scope = NewDisposeScope();
        long n = centered.shape[0];
        Tensor u = centered.T * Math.Sqrt((1 - shrinkage) / (n - 1));
        Tensor scaled = u / (variance * shrinkage).unsqueeze(1);            // (aD)^-1 U
        Tensor m = eye(n, dtype: float64) + u.T.matmul(scaled);
        var (values, vectors) = linalg.eigh((m + m.T) / 2);                   // M is I + PSD: values >= 1
        Tensor inverseRoot = vectors / values.sqrt().unsqueeze(0);           // (M^-1/2 up to rotation): R R^T = M^-1
        Tensor project = scaled.matmul(inverseRoot.matmul(inverseRoot.T));
        double ratio = s / shrinkage;
        Tensor diagonal = (variance * (s * (2 - ratio))).sqrt();
        Tensor lowRank = u.matmul(inverseRoot) * ratio;
        // The sampler outlives the caller's dispose scope too (it serves every training batch).
        return new LowRankKnockoffConditional(ratio, project.DetachFromDisposeScope(), u.T.contiguous().DetachFromDisposeScope(),
            diagonal.DetachFromDisposeScope(), lowRank.DetachFromDisposeScope());
    }

    public override Tensor Shift(Tensor centered) => (centered - centered.matmul(_project).matmul(_basisT)) * _ratio;

    public override Tensor Noise(long rows) =>
        randn(rows, _diagonal.shape[0], dtype: float64) * _diagonal + randn(rows, _lowRank.shape[1], dtype: float64).matmul(_lowRank.T);

    public override Tensor NoiseCovariance() => diag(_diagonal.pow(2)) + _lowRank.matmul(_lowRank.T);
}
