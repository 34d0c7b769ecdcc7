using System;
using Microsoft.ML.Compression.Pruning.Scop;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Tests.Pruning;

/// <summary>
/// Gaussian knockoffs of inputs with more features than fitted rows (images) use the diagonal-plus-low-rank form of
/// the shrunk covariance: the same distribution as the dense form, without its features^2 memory and features^3 time.
/// </summary>
[TestClass]
public class LowRankKnockoffsTests
{
    [TestMethod]
    public void LowRankFormIsTheDenseDistribution()
    {
        // 12 rows of 40 correlated features (3 latent factors plus noise), one of them constant.
        const int rows = 12, size = 40;
        var random = new Random(3);
        var latent = new double[rows, 3];
        for (int r = 0; r < rows; r++) for (int k = 0; k < 3; k++) latent[r, k] = random.NextDouble() * 2 - 1;
        var features = new float[rows * size];
        for (int r = 0; r < rows; r++)
            for (int j = 1; j < size; j++)
                features[r * size + j] = (float)(latent[r, j % 3] * (1 + j % 5) + 0.3 * random.NextDouble() + j);
        var low = GaussianKnockoffs.Fit(features, rows, size, 0.2, dense: false);
        var dense = GaussianKnockoffs.Fit(features, rows, size, 0.2, dense: true);
        Assert.IsInstanceOfType<LowRankKnockoffConditional>(low.Conditional);
        Assert.IsInstanceOfType<DenseKnockoffConditional>(dense.Conditional);
        Assert.AreEqual(dense.SmallestCorrelationEigenvalue, low.SmallestCorrelationEigenvalue, 1e-9, "lambda_min of the shrunk correlation is the shrinkage");
        Assert.AreEqual(dense.EquicorrelatedS[0], low.EquicorrelatedS[0], 1e-9);

        using var scope = torch.NewDisposeScope();
        Tensor identity = eye(size - 1, dtype: float64);
        AssertClose(dense.Conditional.Shift(identity), low.Conditional.Shift(identity), "Sigma^-1 S");
        AssertClose(dense.Conditional.NoiseCovariance(), low.Conditional.NoiseCovariance(), "2S - S Sigma^-1 S");
        // And the sampler draws with that covariance.
        torch.random.manual_seed(1);
        Tensor noise = low.Conditional.Noise(20000);
        Tensor empirical = noise.T.matmul(noise) / 20000;
        Tensor expected = low.Conditional.NoiseCovariance();
        double gap = (empirical - expected).norm().item<double>() / expected.norm().item<double>();
        Assert.IsTrue(gap < 0.05, $"sample covariance of the noise is {gap:P1} from 2S - S Sigma^-1 S");
    }

    private static void AssertClose(Tensor expected, Tensor actual, string what)
    {
        double gap = (expected - actual).abs().max().item<double>(), scale = expected.abs().max().item<double>();
        Assert.IsTrue(gap <= 1e-8 * scale, $"{what}: dense and low-rank differ by {gap} (entries up to {scale})");
    }

    [TestMethod]
    public void ImageSizedInputsUseTheLowRankForm()
    {
        // 64x64 RGB: 12,288 features, whose dense covariance alone would take 1.2 GB and hours to decompose.
        const int rows = 64, size = 3 * 64 * 64;
        var random = new Random(5);
        var pixels = new float[rows * size];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = random.Next(256);
        var knockoffs = GaussianKnockoffs.Fit(pixels, rows, size);
        // What makes this quick is the form chosen, not the machine: with more features than rows, Fit must pick the
        // diagonal-plus-low-rank conditional and never build the 12,288 x 12,288 dense one. (A wall-clock bound here
        // failed on loaded machines and passed for a dense fit on fast ones.)
        Assert.IsInstanceOfType<LowRankKnockoffConditional>(knockoffs.Conditional);
        using var scope = torch.NewDisposeScope();
        Tensor x = torch.tensor(pixels, new long[] { rows, 3, 64, 64 });
        Tensor k = knockoffs.Sample(x);
        CollectionAssert.AreEqual(x.shape, k.shape);
        Assert.AreEqual(0.1, knockoffs.SmallestCorrelationEigenvalue, 1e-12);
        Assert.IsFalse(k.isnan().any().item<bool>() || k.isinf().any().item<bool>(), "finite knockoffs");
        // The knockoffs keep the pixels' mean and differ from the images. (Their finer moments follow the fitted
        // covariance, which 64 rows pin down in 63 directions only; LowRankFormIsTheDenseDistribution checks it is the
        // dense form's exactly.)
        double meanGap = (k.mean(new long[] { 0 }) - x.mean(new long[] { 0 })).abs().mean().item<float>();
        Assert.IsTrue(meanGap < 20, $"mean |mean(X~) - mean(X)| = {meanGap} on pixels of 0..255");
        Assert.IsTrue((k - x).abs().mean().item<float>() > 1, "knockoffs are not copies");
    }
}
