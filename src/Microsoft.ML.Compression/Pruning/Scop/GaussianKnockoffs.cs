using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Pruning.Scop;

/// <summary>
/// Second-order (Gaussian) model-X knockoffs (Candès et al., 2018) of input features: the data's mean and covariance
/// are fitted, and each knockoff row X~ is drawn from N(x - (x - mu) Sigma^-1 S, 2S - S Sigma^-1 S), so that
/// [X, X~] has mean [mu, mu] and covariance [[Sigma, Sigma - S], [Sigma - S, Sigma]]: the knockoffs match the data's
/// first two moments and swapping any feature with its knockoff leaves them unchanged, while X~ carries no
/// information about the label beyond X.
/// </summary>
/// <remarks>
/// S is equicorrelated: s_j = min(1, 2 lambda_min(C)) sigma_j^2 for the correlation matrix C. Neighbouring pixels
/// are so correlated that lambda_min of an image covariance is nearly 0 (knockoffs would copy the image), so the
/// covariance is first shrunk toward its diagonal: Sigma = (1 - a) Sigma_data + a diag(Sigma_data), which keeps every
/// variance and scales covariances by 1 - a, and bounds lambda_min(C) below by a. Constant features (image borders)
/// are their own knockoffs.
/// </remarks>
public sealed class GaussianKnockoffs
{
    private readonly int _size;
    private readonly Tensor _varying;     // [q] int64: the features that are not constant
    private readonly Tensor _mean;        // [p] float64, all features
    private readonly Tensor _varyingMean; // [q] float64
    private readonly Tensor _shift;       // [q, q] Sigma^-1 S over varying features
    private readonly Tensor _noise;       // [q, q] with noise @ noise^T = 2S - S Sigma^-1 S

    private GaussianKnockoffs(int size, Tensor varying, Tensor mean, Tensor varyingMean, Tensor shift, Tensor noise, double[] s, double lambdaMin)
    {
        _size = size;
        _varying = varying;
        _mean = mean;
        _varyingMean = varyingMean;
        _shift = shift;
        _noise = noise;
        EquicorrelatedS = s;
        SmallestCorrelationEigenvalue = lambdaMin;
    }

    /// <summary>s_j / sigma_j^2 of every varying feature (equal for all): 1 - the correlation of a feature with its knockoff.</summary>
    public double[] EquicorrelatedS { get; }

    /// <summary>lambda_min of the shrunk correlation matrix.</summary>
    public double SmallestCorrelationEigenvalue { get; }

    /// <summary>Features per row.</summary>
    public int FeatureSize => _size;

    /// <summary>Fits the knockoff distribution to <paramref name="rows"/> rows of <paramref name="features"/> (row-major, <paramref name="size"/> per row).</summary>
    /// <param name="features">Training features.</param>
    /// <param name="rows">Rows to use.</param>
    /// <param name="size">Features per row.</param>
    /// <param name="shrinkage">a in [0, 1): how far the covariance is shrunk toward its diagonal. Default 0.1.</param>
    public static GaussianKnockoffs Fit(float[] features, int rows, int size, double shrinkage = 0.1)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (size < 1 || rows < 2 || (long)rows * size > features.Length)
            throw new ArgumentException($"Knockoffs need at least 2 rows of {size} features; got {features.Length} values for {rows} rows.", nameof(features));
        if (!(shrinkage >= 0 && shrinkage < 1))
            throw new ArgumentOutOfRangeException(nameof(shrinkage), shrinkage, "Shrinkage must be in [0, 1).");

        using var scope = torch.NewDisposeScope();
        Tensor x = torch.tensor(features, new long[] { features.Length / size, size }).narrow(0, 0, rows).to(float64);
        Tensor mean = x.mean(new long[] { 0 });
        Tensor centered = x - mean;
        Tensor variance = centered.pow(2).sum(new long[] { 0 }) / (rows - 1);
        double[] varianceValues = variance.data<double>().ToArray();
        double floor = 1e-8 * Math.Max(1e-12, varianceValues.Max());
        long[] varying = Enumerable.Range(0, size).Where(j => varianceValues[j] > floor).Select(j => (long)j).ToArray();
        if (varying.Length == 0)
            throw new ArgumentException("Every feature is constant; knockoffs would equal the data.", nameof(features));

        Tensor index = torch.tensor(varying);
        Tensor xc = centered.index_select(1, index);
        Tensor cov = xc.T.matmul(xc) / (rows - 1);
        Tensor diag = cov.diagonal();
        cov = cov * (1 - shrinkage) + torch.diag(diag) * shrinkage;
        Tensor sd = diag.sqrt();
        Tensor corr = cov / sd.unsqueeze(1) / sd.unsqueeze(0);
        double lambdaMin = torch.linalg.eigvalsh(corr).min().item<double>();
        // 2 lambda_min makes the joint covariance singular; stay just inside so the conditional covariance is PSD.
        double sCorr = Math.Min(1.0, 2 * lambdaMin * 0.999);
        Tensor s = diag * sCorr;
        Tensor sMatrix = torch.diag(s);
        Tensor shift = torch.linalg.solve(cov, sMatrix);                  // Sigma^-1 S
        Tensor conditional = 2 * sMatrix - sMatrix.matmul(shift);
        conditional = (conditional + conditional.T) / 2;
        var (eigenvalues, vectors) = torch.linalg.eigh(conditional);
        Tensor noise = vectors * eigenvalues.clamp_min(0).sqrt().unsqueeze(0); // noise @ noise^T = conditional

        var result = new GaussianKnockoffs(size, index.MoveToOuterDisposeScope(), mean.MoveToOuterDisposeScope(), mean.index_select(0, index).MoveToOuterDisposeScope(), shift.MoveToOuterDisposeScope(),
            noise.MoveToOuterDisposeScope(), Enumerable.Repeat(sCorr, varying.Length).ToArray(), lambdaMin);
        return result;
    }

    /// <summary>Knockoffs of a batch [N, features] (or [N, C, H, W]); same shape and dtype as <paramref name="x"/>.</summary>
    public Tensor Sample(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        long n = x.shape[0];
        Tensor flat = x.reshape(n, -1).to(float64);
        if (flat.shape[1] != _size)
            throw new ArgumentException($"Knockoffs were fitted to {_size} features per row, got {flat.shape[1]}.", nameof(x));
        Tensor varying = flat.index_select(1, _varying);
        Tensor z = torch.randn(n, _varying.shape[0], dtype: float64);
        Tensor sample = varying - (varying - _varyingMean).matmul(_shift) + z.matmul(_noise.T);
        Tensor knockoff = _mean.unsqueeze(0).expand(n, _size).clone();     // constant features: their mean
        knockoff.index_copy_(1, _varying, sample);
        return knockoff.to(x.dtype).reshape(x.shape).MoveToOuterDisposeScope();
    }
}
