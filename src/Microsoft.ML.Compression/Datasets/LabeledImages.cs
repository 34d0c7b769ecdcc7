using Microsoft.ML;

namespace Microsoft.ML.Compression.Datasets;

/// <summary>
/// A set of single-channel images with class labels, held as flat arrays so that it can be fed to TorchSharp
/// without per-row objects. Image <c>i</c> occupies <c>Features[i * FeatureSize .. (i + 1) * FeatureSize)</c>,
/// row-major, with pixel values scaled to [0, 1].
/// </summary>
public sealed class LabeledImages
{
    /// <summary>Creates the set, checking that the arrays agree with the stated shape.</summary>
    /// <param name="features">Pixels of all images, <paramref name="count"/> * <paramref name="rows"/> * <paramref name="cols"/> values.</param>
    /// <param name="labels">0-based class index of each image, each below <c>classNames.Count</c>.</param>
    /// <param name="count">Number of images.</param>
    /// <param name="rows">Image height in pixels.</param>
    /// <param name="cols">Image width in pixels.</param>
    /// <param name="classNames">Name of each class, indexed by label.</param>
    public LabeledImages(float[] features, uint[] labels, int count, int rows, int cols, IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(classNames);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(cols);
        if (classNames.Count == 0)
            throw new ArgumentException("At least one class name is required.", nameof(classNames));
        if ((long)count * rows * cols != features.LongLength)
            throw new ArgumentException($"Expected {count} x {rows} x {cols} = {(long)count * rows * cols} feature values, got {features.LongLength}.", nameof(features));
        if (labels.Length != count)
            throw new ArgumentException($"Expected {count} labels, got {labels.Length}.", nameof(labels));
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] >= (uint)classNames.Count)
                throw new ArgumentException($"Label {labels[i]} of image {i} is not below the class count {classNames.Count}.", nameof(labels));
        }

        Features = features;
        Labels = labels;
        Count = count;
        Rows = rows;
        Cols = cols;
        ClassNames = classNames;
    }

    /// <summary>Pixels of all images, row-major within each image, values in [0, 1].</summary>
    public float[] Features { get; }

    /// <summary>0-based class index of each image (the digit, for MNIST).</summary>
    public uint[] Labels { get; }

    /// <summary>Number of images.</summary>
    public int Count { get; }

    /// <summary>Image height in pixels.</summary>
    public int Rows { get; }

    /// <summary>Image width in pixels.</summary>
    public int Cols { get; }

    /// <summary>Values per image: <see cref="Rows"/> * <see cref="Cols"/>.</summary>
    public int FeatureSize => Rows * Cols;

    /// <summary>Name of each class, indexed by 0-based label.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>Number of classes.</summary>
    public int ClassCount => ClassNames.Count;

    /// <summary>The pixels of image <paramref name="index"/>.</summary>
    public ReadOnlySpan<float> GetImage(int index)
    {
        if ((uint)index >= (uint)Count)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"Index must be in [0, {Count}).");
        return Features.AsSpan(index * FeatureSize, FeatureSize);
    }

    /// <summary>
    /// Wraps the arrays (without copying them) in an <see cref="IDataView"/> with columns
    /// <c>Features</c> (known-size float vector of <see cref="FeatureSize"/>) and <c>Label</c>
    /// (<see cref="Microsoft.ML.Data.KeyDataViewType"/> over <see cref="uint"/> with <see cref="ClassCount"/> values;
    /// the raw key is label + 1, as ML.NET reserves 0 for missing). The label carries the class names as key values.
    /// </summary>
    public IDataView ToDataView() => new ImageDataView(this);
}
