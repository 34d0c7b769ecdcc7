using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.Compression.Datasets;
using Microsoft.ML.Compression.Estimators;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Training;
using Microsoft.ML.Compression.Training.Augmentation;
using Microsoft.ML.Compression.Zoo;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;

namespace Microsoft.ML.Compression.Tests.Training.Augmentation;

[TestClass]
public class BatchAugmenterTests
{
    // Distinct non-zero values, so any zero in an output came from the padding.
    private static float[] Image(int size, int offset = 0) => Enumerable.Range(1 + offset, size).Select(v => (float)v).ToArray();

    private static float[] Copies(float[] image, int n) => Enumerable.Repeat(image, n).SelectMany(x => x).ToArray();

    private static float[] ImageAt(float[] batch, int n, int size) => batch.AsSpan(n * size, size).ToArray();

    // The mirror of a planar image, written out independently of the augmenter.
    private static float[] MirrorChw(float[] image, int c, int h, int w)
    {
        var mirrored = new float[image.Length];
        for (int k = 0; k < c; k++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    mirrored[k * h * w + y * w + x] = image[k * h * w + y * w + (w - 1 - x)];
        return mirrored;
    }

    private static float[] ToHwc(float[] chw, int c, int h, int w)
    {
        var hwc = new float[chw.Length];
        for (int k = 0; k < c; k++)
            for (int i = 0; i < h * w; i++)
                hwc[i * c + k] = chw[k * h * w + i];
        return hwc;
    }

    [TestMethod]
    public void FlipMirrorsTheImage()
    {
        var augmenter = new BatchAugmenter(new ImageAugmentation { HorizontalFlip = true }, new ImageInput(2, 3, 5));
        float[] image = Image(30), mirrored = MirrorChw(image, 2, 3, 5);
        float[] batch = Copies(image, 64);
        augmenter.Apply(batch, 64, BatchAugmenter.RandomFor(1, 1, 0));
        int flipped = 0;
        for (int n = 0; n < 64; n++)
        {
            float[] result = ImageAt(batch, n, 30);
            bool isMirror = result.SequenceEqual(mirrored);
            Assert.IsTrue(isMirror || result.SequenceEqual(image), $"image {n} is either unchanged or mirrored");
            if (isMirror) flipped++;
        }
        Assert.IsTrue(flipped is > 16 and < 48, $"about half are mirrored, got {flipped} of 64");
    }

    [TestMethod]
    public void CropShiftsByAtMostThePaddingAndFillsZeros()
    {
        const int c = 1, h = 6, w = 7, p = 2;
        var augmenter = new BatchAugmenter(new ImageAugmentation { CropPadding = p }, new ImageInput(c, h, w));
        float[] image = Image(h * w);
        float[] batch = Copies(image, 100);
        augmenter.Apply(batch, 100, BatchAugmenter.RandomFor(3, 2, 1));
        var shifts = new HashSet<(int, int)>();
        for (int n = 0; n < 100; n++)
        {
            float[] result = ImageAt(batch, n, h * w);
            var matches = new List<(int, int)>();
            for (int dy = -p; dy <= p; dy++)
                for (int dx = -p; dx <= p; dx++)
                {
                    bool match = true;
                    for (int y = 0; y < h && match; y++)
                        for (int x = 0; x < w && match; x++)
                        {
                            int sy = y + dy, sx = x + dx;
                            float expected = sy >= 0 && sy < h && sx >= 0 && sx < w ? image[sy * w + sx] : 0f;
                            match = result[y * w + x] == expected;
                        }
                    if (match) matches.Add((dy, dx));
                }
            Assert.AreEqual(1, matches.Count, $"image {n} is the original moved by one shift of at most {p} pixels, zero-filled");
            shifts.Add(matches[0]);
        }
        Assert.IsTrue(shifts.Count > 15, $"the shifts vary ({shifts.Count} of 25 seen)");
    }

    [TestMethod]
    public void OneSeedGivesTheSameBatches()
    {
        var augmenter = new BatchAugmenter(new ImageAugmentation { CropPadding = 3, HorizontalFlip = true }, new ImageInput(3, 8, 8));
        float[] Batch(int seed, int epoch, int index)
        {
            float[] batch = Copies(Image(192), 32);
            augmenter.Apply(batch, 32, BatchAugmenter.RandomFor(seed, epoch, index));
            return batch;
        }
        CollectionAssert.AreEqual(Batch(5, 2, 7), Batch(5, 2, 7));
        CollectionAssert.AreNotEqual(Batch(5, 2, 7), Batch(5, 2, 8));
        CollectionAssert.AreNotEqual(Batch(5, 2, 7), Batch(5, 3, 7));
        CollectionAssert.AreNotEqual(Batch(5, 2, 7), Batch(6, 2, 7));
    }

    [TestMethod]
    public void InterleavedPixelsMoveWithTheirChannels()
    {
        const int c = 3, h = 4, w = 5;
        float[] chw = Image(c * h * w);
        float[] hwc = ToHwc(chw, c, h, w);
        var planar = new BatchAugmenter(new ImageAugmentation { CropPadding = 1, HorizontalFlip = true }, new ImageInput(c, h, w));
        var interleaved = new BatchAugmenter(new ImageAugmentation { CropPadding = 1, HorizontalFlip = true }, new ImageInput(c, h, w) { Layout = PixelLayout.Hwc });
        float[] a = Copies(chw, 40), b = Copies(hwc, 40);
        planar.Apply(a, 40, BatchAugmenter.RandomFor(9, 1, 0));
        interleaved.Apply(b, 40, BatchAugmenter.RandomFor(9, 1, 0));
        for (int n = 0; n < 40; n++)
            CollectionAssert.AreEqual(ToHwc(ImageAt(a, n, 60), c, h, w), ImageAt(b, n, 60), $"image {n}: the same change in either layout");

        // A flip alone, checked against the interleaved mirror written out directly.
        var flipOnly = new BatchAugmenter(new ImageAugmentation { HorizontalFlip = true }, new ImageInput(c, h, w) { Layout = PixelLayout.Hwc });
        float[] mirrored = ToHwc(MirrorChw(chw, c, h, w), c, h, w);
        float[] batch = Copies(hwc, 16);
        flipOnly.Apply(batch, 16, BatchAugmenter.RandomFor(2, 1, 0));
        Assert.IsTrue(Enumerable.Range(0, 16).Any(n => ImageAt(batch, n, 60).SequenceEqual(mirrored)));
        Assert.IsTrue(Enumerable.Range(0, 16).All(n => ImageAt(batch, n, 60).SequenceEqual(mirrored) || ImageAt(batch, n, 60).SequenceEqual(hwc)));
    }

    [TestMethod]
    public void AugmentationNeedsAnImageInput()
    {
        var vector = new NetworkGraph("vector", new[] { 784 }, new Layer[] { new LinearLayer("fc", NetworkGraph.InputName, 784, 10) });
        var options = new TrainingOptions { Epochs = 1, Augmentation = new ImageAugmentation { HorizontalFlip = true } };
        using var module = new GraphModule(vector);
        using LabeledDataset data = TestData.MnistArrays(MnistSplit.Train, 64);
        var ex = Assert.ThrowsExactly<ArgumentException>(() => new TrainingLoop(options).Run(module, data));
        StringAssert.Contains(ex.Message, "TrainingOptions.Augmentation");
        var ml = new MLContext(0);
        var atCreation = Assert.ThrowsExactly<ArgumentException>(() =>
            ml.Transforms.Compression.Train(vector, new NetworkTrainer.Options { Augmentation = new ImageAugmentation { CropPadding = 2 } }));
        Assert.AreEqual("Augmentation", atCreation.ParamName);
        var negative = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new TrainingOptions { Augmentation = new ImageAugmentation { CropPadding = -1 } }.Validate());
        Assert.AreEqual("CropPadding", negative.ParamName);
    }

    private sealed class Capture : ITrainingHook
    {
        public List<(float[] Features, int[] Rows, bool Augmented)> Batches { get; } = new();

        public torch.Tensor? ExtraLoss(GraphModule module, TrainingBatch batch, torch.Tensor logits)
        {
            Batches.Add((batch.Features.data<float>().ToArray(), batch.Rows.ToArray(), batch.Augmented));
            return null;
        }
    }

    [TestMethod]
    public void OnlyTrainingBatchesAreAugmentedAndOneSeedRepeatsThem()
    {
        using LabeledDataset data = TestData.MnistArrays(MnistSplit.Train, 128);
        Capture Run()
        {
            var capture = new Capture();
            var options = new TrainingOptions { Epochs = 1, BatchSize = 64, Seed = 4, Augmentation = new ImageAugmentation { CropPadding = 4, HorizontalFlip = true } };
            torch.random.manual_seed(0);
            using var module = new GraphModule(NetworkZoo.LeNet5());
            new TrainingLoop(options).Run(module, data, data, new[] { capture });
            return capture;
        }
        Capture first = Run(), second = Run();
        Assert.AreEqual(2, first.Batches.Count, "validation batches do not reach training hooks");
        for (int b = 0; b < 2; b++)
        {
            Assert.IsTrue(first.Batches[b].Augmented);
            CollectionAssert.AreEqual(first.Batches[b].Features, second.Batches[b].Features, $"batch {b} is the same in both runs");
            var raw = new float[64 * 784];
            data.ReadRows(first.Batches[b].Rows, raw);
            CollectionAssert.AreNotEqual(raw, first.Batches[b].Features, $"batch {b} was changed");
        }
    }
}
