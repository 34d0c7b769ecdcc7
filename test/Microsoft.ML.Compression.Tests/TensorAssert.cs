using System;
using TorchSharp;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Tests;

/// <summary>Assertions on TorchSharp tensors.</summary>
internal static class TensorAssert
{
    /// <summary>
    /// <paramref name="actual"/> has <paramref name="expected"/>'s shape and every element within 1e-4 of the largest
    /// |expected| (taken as at least <paramref name="minScale"/>), which float32 rounding of a different but equal
    /// computation stays within. <paramref name="expected"/> may be float64 (a reference in double precision).
    /// </summary>
    public static void Close(Tensor expected, Tensor actual, string what, double minScale = 1)
    {
        CollectionAssert.AreEqual(expected.shape, actual.shape, $"{what}: shape");
        using var scope = torch.NewDisposeScope();
        Tensor reference = expected.detach().to(float32);
        double tolerance = 1e-4 * Math.Max(minScale, reference.abs().max().item<float>());
        double diff = (actual.detach() - reference).abs().max().item<float>();
        Assert.IsTrue(diff <= tolerance, $"{what}: max |difference| {diff:G3} (tolerance {tolerance:G3})");
    }
}
