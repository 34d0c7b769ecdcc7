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

    private GaussianKnockoffs(int size, Tensor varying, Tensor mean, Tensor varyingMean, KnockoffConditional conditional, double[] s, double lambdaMin)
    {
        _size = size;
        _varying = varying;
        _mean = mean;
        _varyingMean = varyingMean;
        Conditional = conditional;
        EquicorrelatedS = s;
        SmallestCorrelationEigenvalue = lambdaMin;
    }

    /// <summary>s_j / sigma_j^2 of every varying feature (equal for all): 1 - the correlation of a feature with its knockoff.</summary>
    public double[] EquicorrelatedS { get; }

    /// <summary>lambda_min of the shrunk correlation matrix.</summary>
    public double SmallestCorrelationEigenvalue { get; }

    /// <summary>Features per row.</summary>
    public int FeatureSize => _size;

    /// <summary>The knockoffs' conditional distribution given the data: dense, or low-rank with more features than rows.</summary>
    internal KnockoffConditional Conditional { get; }

    /// <summary>Fits the knockoff distribution to <paramref name="rows"/> rows of <paramref name="features"/> (row-major, <paramref name="size"/> per row).</summary>
    /// <param name="features">Training features.</param>
    /// <param name="rows">Rows to use.</param>
    /// <param name="size">Features per row.</param>
    /// <param name="shrinkage">a in [0, 1): how far the covariance is shrunk toward its diagonal. Default 0.1.</param>
    /// <remarks>
    /// With at least as many varying features as rows (images), the covariance is kept as its diagonal plus the rows'
    /// low-rank part (<see cref="LowRankKnockoffConditional"/>): time grows as features x rows^2 instead of features^3,
    /// memory as features x rows instead of features^2: a 64x64 RGB input (12,288 features) fits to 64 rows and samples
    /// them in about half a second (measured), where the dense form needs 1.2 GB per matrix. Fewer features than rows
    /// use [features, features] matrices.
    /// </remarks>
    public static GaussianKnockoffs Fit(float[] features, int rows, int size, double shrinkage = 0.1) => Fit(features, rows, size, shrinkage, dense: false);

    /// <summary>As the public Fit; <paramref name="dense"/> forces the [q, q] form (to check the low-rank one against it).</summary>
    internal static GaussianKnockoffs Fit(float[] features, int rows, int size, double shrinkage, bool dense)
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
        KnockoffConditional conditional;
        double lambdaMin;
        if (!dense && shrinkage > 0 && rows <= varying.Length)
        {
            // n rows give a sample covariance of rank n - 1 < q, so the data's correlation has lambda_min 0 and the
            // shrunk one's is exactly a.
            lambdaMin = shrinkage;
            conditional = LowRankKnockoffConditional.Fit(xc, variance.index_select(0, index), shrinkage, EquicorrelatedScale(lambdaMin));
        }
        else
        {
            Tensor cov = xc.T.matmul(xc) / (rows - 1);
            Tensor diag = cov.diagonal();
            cov = cov * (1 - shrinkage) + torch.diag(diag) * shrinkage;
            Tensor sd = diag.sqrt();
            Tensor corr = cov / sd.unsqueeze(1) / sd.unsqueeze(0);
            lambdaMin = torch.linalg.eigvalsh(corr).min().item<double>();
            Tensor sMatrix = torch.diag(diag * EquicorrelatedScale(lambdaMin));
            Tensor shift = torch.linalg.solve(cov, sMatrix);                  // Sigma^-1 S
            Tensor noiseCovariance = 2 * sMatrix - sMatrix.matmul(shift);
            noiseCovariance = (noiseCovariance + noiseCovariance.T) / 2;
            var (eigenvalues, vectors) = torch.linalg.eigh(noiseCovariance);
            Tensor noise = vectors * eigenvalues.clamp_min(0).sqrt().unsqueeze(0); // noise @ noise^T = 2S - S Sigma^-1 S
            conditional = new DenseKnockoffConditional(shift.MoveToOuterDisposeScope(), noise.MoveToOuterDisposeScope());
        }
        return new GaussianKnockoffs(size, index.MoveToOuterDisposeScope(), mean.MoveToOuterDisposeScope(), mean.index_select(0, index).MoveToOuterDisposeScope(),
            conditional, Enumerable.Repeat(EquicorrelatedScale(lambdaMin), varying.Length).ToArray(), lambdaMin);
    }

    // 2 lambda_min makes the joint covariance singular; stay just inside so the conditional covariance is PSD.
    private static double EquicorrelatedScale(double lambdaMin) => Math.Min(1.0, 2 * lambdaMin * 0.999);

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
        Tensor sample = varying - Conditional.Shift(varying - _varyingMean) + Conditional.Noise(n);
        Tensor knockoff = _mean.unsqueeze(0).expand(n, _size).clone();     // constant features: their mean
        knockoff.index_copy_(1, _varying, sample);
        return knockoff.to(x.dtype).reshape(x.shape).MoveToOuterDisposeScope();
    }
}
