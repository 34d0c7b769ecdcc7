namespace Microsoft.ML.Compression.Datasets;

/// <summary>
/// The fixed Fashion-MNIST split defined by <see cref="FashionMnist"/>: within each class file the last
/// <see cref="FashionMnist.TestImagesPerClass"/> images are the test set and all images before them the training set.
/// </summary>
public enum FashionSplit
{
    /// <summary>All images of each class except its last <see cref="FashionMnist.TestImagesPerClass"/> (6,000 per class, 60,000 in all).</summary>
    Train,

    /// <summary>The last <see cref="FashionMnist.TestImagesPerClass"/> images of each class (10,000 in all).</summary>
    Test,
}
