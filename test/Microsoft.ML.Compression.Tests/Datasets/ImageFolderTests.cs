using System;
using System.IO;
using System.Linq;
using Microsoft.ML.Compression.Datasets;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using SampleData;
using SkiaSharp;

namespace Microsoft.ML.Compression.Tests.Datasets;

/// <summary>Folders of real PNG files, bad ones among them, through ImageFolder and ML.NET's own image transforms.</summary>
[TestClass]
public class ImageFolderTests
{
    private const int Side = 16;
    private string _root = "";

    [TestInitialize]
    public void WriteFolder()
    {
        _root = Path.Combine(Path.GetTempPath(), "mlc-images-" + Guid.NewGuid().ToString("N"));
        WriteClass("red", 0, 20);
        WriteClass("blue", 2, 20);
    }

    [TestCleanup]
    public void Delete()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    // A noisy image whose channel `strong` is bright: the class is learnable from color alone.
    private void WriteClass(string name, int strong, int count)
    {
        var random = new Random(strong);
        for (int i = 0; i < count; i++)
        {
            var planar = new byte[3 * Side * Side];
            for (int j = 0; j < planar.Length; j++)
                planar[j] = (byte)(j / (Side * Side) == strong ? 150 + random.Next(100) : random.Next(100));
            PngFiles.WriteRgb(Path.Combine(_root, name, $"{i:D3}.png"), Side, Side, planar);
        }
    }

    private string[] Labels(IDataView data) => data.GetColumn<string>(ImageFolder.LabelColumn).ToArray();

    [TestMethod]
    public void ListsOneClassPerFolderInOrdinalOrder()
    {
        var ml = new MLContext(0);
        ImageFolderData images = ImageFolder.Load(ml, _root);
        CollectionAssert.AreEqual(new[] { "blue", "red" }, images.ClassNames.ToArray());
        Assert.AreEqual(40, images.Count);
        string[] labels = Labels(images.Data);
        CollectionAssert.AreEqual(Enumerable.Repeat("blue", 20).Concat(Enumerable.Repeat("red", 20)).ToArray(), labels);
        string[] paths = images.Data.GetColumn<string>(ImageFolder.ImagePathColumn).ToArray();
        Assert.IsTrue(paths.All(Path.IsPathFullyQualified) && paths.All(File.Exists));
        Assert.AreEqual(0, images.Warnings.Count, string.Join("\n", images.Warnings));
    }

    [TestMethod]
    public void BadFilesAndEmptyClassesAreSkippedWithAWarningNamingThem()
    {
        File.WriteAllBytes(Path.Combine(_root, "red", "zero.png"), Array.Empty<byte>());
        File.WriteAllText(Path.Combine(_root, "red", "text.png"), "not a picture");
        File.WriteAllText(Path.Combine(_root, "blue", "notes.txt"), "ignored");
        byte[] good = File.ReadAllBytes(Path.Combine(_root, "red", "000.png"));
        File.WriteAllBytes(Path.Combine(_root, "blue", "truncated.png"), good.AsSpan(0, 40).ToArray());
        Directory.CreateDirectory(Path.Combine(_root, "green"));
        File.WriteAllBytes(Path.Combine(_root, "green", "only-bad.jpg"), new byte[] { 1, 2, 3 });

        var ml = new MLContext(0);
        ImageFolderData images = ImageFolder.Load(ml, _root);
        string all = string.Join("\n", images.Warnings);
        StringAssert.Contains(all, "zero.png");
        StringAssert.Contains(all, "empty");
        StringAssert.Contains(all, "text.png");
        StringAssert.Contains(all, "truncated.png");
        StringAssert.Contains(all, "notes.txt");
        StringAssert.Contains(all, "green");
        CollectionAssert.AreEqual(new[] { "blue", "red" }, images.ClassNames.ToArray(), "a class without usable images is left out");
        Assert.AreEqual(40, images.Count);

        // What was listed loads: ML.NET's pipeline reads every row without meeting a bad file.
        var pipeline = ImageFolder.PixelPipeline(ml, new ImageInput(3, Side, Side));
        float[][] pixels = pipeline.Fit(images.Data).Transform(images.Data).GetColumn<float[]>("Features").ToArray();
        Assert.AreEqual(40, pixels.Length);
        Assert.IsTrue(pixels.All(p => p.Length == 3 * Side * Side));
    }

    [TestMethod]
    public void FailModeNamesTheFileAndTheReason()
    {
        string zero = Path.Combine(_root, "red", "zero.png");
        File.WriteAllBytes(zero, Array.Empty<byte>());
        var options = new ImageFolderOptions { InvalidFiles = InvalidImageHandling.Fail };
        var e = Assert.ThrowsExactly<InvalidDataException>(() => ImageFolder.Load(new MLContext(0), _root, options));
        StringAssert.Contains(e.Message, zero);
        StringAssert.Contains(e.Message, "empty");
    }

    [TestMethod]
    public void MissingFolderAndFolderWithoutImagesAreClearErrors()
    {
        string missing = Path.Combine(_root, "nope");
        var e = Assert.ThrowsExactly<DirectoryNotFoundException>(() => ImageFolder.Load(new MLContext(0), missing));
        StringAssert.Contains(e.Message, missing);
        string empty = Path.Combine(_root, "text-only");
        Directory.CreateDirectory(empty);
        File.WriteAllText(Path.Combine(empty, "a.txt"), "x");
        var e2 = Assert.ThrowsExactly<InvalidDataException>(() => ImageFolder.Load(new MLContext(0), empty));
        StringAssert.Contains(e2.Message, "No usable image");
        StringAssert.Contains(e2.Message, empty);
    }

    [TestMethod]
    public void GrayFilesAndOtherSizesBecomeRgbOfTheNetworksSize()
    {
        string gray = Path.Combine(_root, "red", "gray.png");
        var grayPixels = Enumerable.Range(0, 10 * 12).Select(i => (byte)(i * 2)).ToArray();
        PngFiles.WriteGray(gray, 10, 12, grayPixels);
        PngFiles.WriteRgb(Path.Combine(_root, "red", "big.png"), 40, 40, new byte[3 * 40 * 40]);
        var ml = new MLContext(0);
        ImageFolderData images = ImageFolder.Load(ml, _root);
        Assert.AreEqual(1, images.GrayscaleFiles);
        IDataView pixels = ImageFolder.PixelPipeline(ml, new ImageInput(3, Side, Side)).Fit(images.Data).Transform(images.Data);
        var column = (VectorDataViewType)pixels.Schema["Features"].Type;
        CollectionAssert.AreEqual(new[] { 3, Side, Side }, column.Dimensions.ToArray(), "planar RGB, as the network reads it");
        string[] paths = pixels.GetColumn<string>(ImageFolder.ImagePathColumn).ToArray();
        float[] grayRow = pixels.GetColumn<float[]>("Features").ElementAt(Array.IndexOf(paths, gray));
        int plane = Side * Side;
        for (int i = 0; i < plane; i++)
        {
            Assert.AreEqual(grayRow[i], grayRow[plane + i], "R = G");
            Assert.AreEqual(grayRow[i], grayRow[2 * plane + i], "R = B");
        }
        Assert.IsTrue(grayRow.Max() > 0, "the gray pixels arrive");

        Assert.AreEqual(new ImageInput(3, Side, Side), ImageInput.FromColumn(pixels.Schema), "planar RGB read back from the column");

        IDataView oneChannel = ImageFolder.PixelPipeline(ml, new ImageInput(1, Side, Side) { Layout = PixelLayout.Hwc }).Fit(images.Data).Transform(images.Data);
        CollectionAssert.AreEqual(new[] { Side, Side, 1 }, ((VectorDataViewType)oneChannel.Schema["Features"].Type).Dimensions.ToArray());
        Assert.AreEqual(new ImageInput(1, Side, Side) { Layout = PixelLayout.Hwc }, ImageInput.FromColumn(oneChannel.Schema));
        var e = Assert.ThrowsExactly<ArgumentException>(() => ImageInput.FromColumn(oneChannel.Schema, ImageFolder.ImagePathColumn));
        StringAssert.Contains(e.Message, "'ImagePath'");
    }

    /// <summary>An RGBA file is not an error for an RGB network: ExtractPixels' default drops the alpha.</summary>
    [TestMethod]
    public void RgbaFilesLoadAsRgbWithoutTheirAlpha()
    {
        string rgba = Path.Combine(_root, "red", "rgba.png");
        using (var bitmap = new SKBitmap(new SKImageInfo(Side, Side, SKColorType.Rgba8888, SKAlphaType.Unpremul)))
        {
            bitmap.Erase(new SKColor(200, 100, 50, 128));
            using SKData png = bitmap.Encode(SKEncodedImageFormat.Png, 100);
            File.WriteAllBytes(rgba, png.ToArray());
        }
        var ml = new MLContext(0);
        ImageFolderData images = ImageFolder.Load(ml, _root);
        Assert.AreEqual(41, images.Count);
        Assert.AreEqual(0, images.GrayscaleFiles);
        Assert.AreEqual(0, images.Warnings.Count, string.Join("\n", images.Warnings));
        IDataView pixels = ImageFolder.PixelPipeline(ml, new ImageInput(3, Side, Side)).Fit(images.Data).Transform(images.Data);
        CollectionAssert.AreEqual(new[] { 3, Side, Side }, ((VectorDataViewType)pixels.Schema["Features"].Type).Dimensions.ToArray());
        string[] paths = pixels.GetColumn<string>(ImageFolder.ImagePathColumn).ToArray();
        float[] row = pixels.GetColumn<float[]>("Features").ElementAt(Array.IndexOf(paths, rgba));
        int plane = Side * Side;
        Assert.IsTrue(row[0] > row[plane] && row[plane] > row[2 * plane], $"R > G > B as written: {row[0]}, {row[plane]}, {row[2 * plane]}");
    }

    [TestMethod]
    public void TrainsOnTheFolderAndPredictsFolderNames()
    {
        var ml = new MLContext(1);
        ImageFolderData images = ImageFolder.Load(ml, _root);
        var input = ImageInput.Rgb(Side, Side);
        var b = new NetworkBuilder("tiny-rgb", input);
        string x = b.ReLU(b.Conv2d(b.Input, 8, 3, stride: 2, padding: 1));
        NetworkGraph net = b.Build(b.Linear(b.Flatten(b.GlobalAvgPool(x)), images.ClassNames.Count));

        var pipeline = ml.Transforms.Conversion.MapValueToKey(ImageFolder.LabelColumn, keyOrdinality: ValueToKeyMappingEstimator.KeyOrdinality.ByValue)
            .Append(ImageFolder.PixelPipeline(ml, input))
            .Append(ml.Transforms.Compression.Train(net, "Features", ImageFolder.LabelColumn, epochs: 15, batchSize: 8, learningRate: 0.05))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedClass", "PredictedLabel"));
        var model = pipeline.Fit(images.Data);
        IDataView scored = model.Transform(images.Data);
        string[] predicted = scored.GetColumn<string>("PredictedClass").ToArray();
        string[] truth = Labels(images.Data);
        double accuracy = predicted.Zip(truth, (p, t) => p == t ? 1.0 : 0).Average();
        Assert.IsTrue(accuracy >= 0.9, $"color classes learned: {accuracy:P0}");
        CollectionAssert.IsSubsetOf(predicted.Distinct().ToArray(), new[] { "blue", "red" }, "PredictedLabel maps back to folder names");
    }

    [TestMethod]
    public void InterleavedPixelsForAPlanarNetworkSayHowToFixIt()
    {
        var ml = new MLContext(0);
        ImageFolderData images = ImageFolder.Load(ml, _root);
        var b = new NetworkBuilder("planar", new ImageInput(3, Side, Side));
        NetworkGraph net = b.Build(b.Linear(b.Flatten(b.GlobalAvgPool(b.Input)), 2));
        var pipeline = ml.Transforms.Conversion.MapValueToKey(ImageFolder.LabelColumn)
            .Append(ImageFolder.PixelPipeline(ml, new ImageInput(3, Side, Side) { Layout = PixelLayout.Hwc }));
        IDataView interleaved = pipeline.Fit(images.Data).Transform(images.Data);
        var e = Assert.ThrowsExactly<ArgumentException>(() => ml.Transforms.Compression.Train(net, "Features", ImageFolder.LabelColumn, epochs: 1).Fit(interleaved));
        StringAssert.Contains(e.Message, "'Features'");
        StringAssert.Contains(e.Message, "interleavePixelColors: false");
        StringAssert.Contains(e.Message, "PixelLayout.Hwc");
    }
}
