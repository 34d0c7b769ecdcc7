using System;
using Microsoft.ML.Compression.Datasets;
using Microsoft.ML.Compression.Pruning.Scop;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Tests.Pruning;

/// <summary>Gaussian model-X knockoffs of real MNIST images: first two moments and pairwise exchangeability, measured.</summary>
[TestClass]
public class GaussianKnockoffsTests
{
    private const int Rows = 10000;
    private const double Shrinkage = 0.1;

    [TestMethod]
    public void KnockoffsMatchTheDataMomentsAndAreExchangeable()
    {
        float[] images = TestData.MnistFeatures(MnistSplit.Train, Rows);
        var knockoffs = GaussianKnockoffs.Fit(images, Rows, 784, Shrinkage);
        Assert.IsTrue(knockoffs.SmallestCorrelationEigenvalue >= Shrinkage * 0.99, $"shrinkage bounds lambda_min: {knockoffs.SmallestCorrelationEigenvalue}");
        double s = knockoffs.EquicorrelatedS[0];
        Assert.IsTrue(s > 0.15 && s <= 1, $"s = {s}: knockoffs must differ from the images");

        torch.random.manual_seed(0);
        using var scope = torch.NewDisposeScope();
        Tensor x = torch.tensor(images, new long[] { Rows, 784 }).to(float64);
        Tensor k = knockoffs.Sample(torch.tensor(images, new long[] { Rows, 784 })).to(float64);
        Tensor xc = x - x.mean(new long[] { 0 }), kc = k - k.mean(new long[] { 0 });
        Tensor covX = xc.T.matmul(xc) / (Rows - 1);
        Tensor covK = kc.T.matmul(kc) / (Rows - 1);
        Tensor cross = xc.T.matmul(kc) / (Rows - 1);
        double scale = covX.diagonal().max().item<double>();
        Tensor model = covX * (1 - Shrinkage) + torch.diag(covX.diagonal()) * Shrinkage; // what the knockoffs target
        Tensor offDiagonal = 1 - torch.eye(784, dtype: float64);

        // First moments.
        double meanGap = (x.mean(new long[] { 0 }) - k.mean(new long[] { 0 })).abs().max().item<double>();
        Assert.IsTrue(meanGap < 0.03, $"max |mean(X) - mean(X~)| = {meanGap} (pixels in [0, 1])");
        // Second moments, as relative Frobenius distances (single entries of 784 x 784 sample covariances are noisy).
        // The construction is exact for the fitted (shrunk) covariance; the data's own covariance differs from it by
        // the shrinkage, which with sampling noise keeps these distances near 0.1 rather than 0.
        double varianceGap = Relative(covK.diagonal(), covX.diagonal());
        double covarianceGap = Relative(covK, model);
        double crossGap = Relative(cross * offDiagonal, model * offDiagonal);
        double selfGap = Relative(cross.diagonal(), covX.diagonal() * (1 - s));
        double asymmetry = Relative(cross, cross.T);
        Console.WriteLine($"s {s:F3}, lambda_min {knockoffs.SmallestCorrelationEigenvalue:F3}, gaps: mean {meanGap:E2} var {varianceGap:E2} cov {covarianceGap:E2} cross {crossGap:E2} self {selfGap:E2} asym {asymmetry:E2}");
        Assert.IsTrue(varianceGap < 0.15, $"Var(X~) vs Var(X): relative distance {varianceGap}");
        Assert.IsTrue(covarianceGap < 0.15, $"Cov(X~) vs the fitted covariance: relative distance {covarianceGap}");
        // Exchangeability: Cov(X_i, X~_j) = Cov(X_i, X_j) for i != j, Cov(X_j, X~_j) = var_j (1 - s), and swapping is symmetric.
        Assert.IsTrue(crossGap < 0.15, $"Cov(X, X~) off the diagonal vs Cov(X, X): relative distance {crossGap}");
        Assert.IsTrue(selfGap < 0.15, $"Cov(X_j, X~_j) vs var_j (1 - s): relative distance {selfGap}");
        Assert.IsTrue(asymmetry < 0.15, $"Cov(X, X~) vs its transpose: relative distance {asymmetry}");
        // A control that the measure can fail: shuffled-batch knockoffs (Golden Stick's) are not exchangeable with X.
        Tensor shuffled = xc.index_select(0, torch.randperm(Rows));
        Assert.IsTrue(Relative(xc.T.matmul(shuffled) / (Rows - 1) * offDiagonal, model * offDiagonal) > 0.5, "shuffled rows lose the cross covariance");
        // And the knockoffs are not the images.
        double distance = (x - k).pow(2).mean().item<double>();
        Assert.IsTrue(distance > 0.01, $"mean squared difference {distance}");
    }

    private static double Relative(Tensor actual, Tensor expected) =>
        (actual - expected).pow(2).sum().sqrt().item<double>() / expected.pow(2).sum().sqrt().item<double>();

    [TestMethod]
    public void BadInputsFailClearly()
    {
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => GaussianKnockoffs.Fit(new float[20], 10, 2, shrinkage: 1));
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => GaussianKnockoffs.Fit(new float[20], 10, 2)).Message, "constant");
        var k = GaussianKnockoffs.Fit(TestData.MnistFeatures(MnistSplit.Train, 200), 200, 784);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => k.Sample(torch.zeros(2, 100))).Message, "784");
    }
}
