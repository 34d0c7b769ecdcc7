using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Compression.Datasets;
using Microsoft.ML.Data;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Compression.Tests.Datasets;

[TestClass]
public sealed class MnistIdxTests
{
    private string _dir = null!;

    [TestInitialize]
    public void Setup()
    {
        _dir = Path.Combine(Path.GetTempPath(), "mlc-idx-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TestCleanup]
    public void Cleanup() => Directory.Delete(_dir, recursive: true);

    // Three 2x3 images whose pixels encode (image, position), and labels 7, 0, 9.
    private static readonly byte[] Labels = { 7, 0, 9 };

    private static byte Pixel(int image, int p) => (byte)(image * 80 + p * 10 + 5);

    private static byte[] Header(params int[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(i * 4), values[i]);
        return bytes;
    }

    private (string Images, string Labels) WriteFiles(string prefix = "train", int imageMagic = 0x803, int labelMagic = 0x801,
        int? imageCount = null, int? labelCount = null, bool gzip = false, int dropBytes = 0)
    {
        var images = Header(imageMagic, imageCount ?? 3, 2, 3).Concat(Enumerable.Range(0, 3 * 6).Select(i => Pixel(i / 6, i % 6))).ToArray();
        var labels = Header(labelMagic, labelCount ?? 3).Concat(Labels).ToArray();
        images = images[..^dropBytes];
        string imagesPath = Path.Combine(_dir, prefix + "-images-idx3-ubyte" + (gzip ? ".gz" : ""));
        string labelsPath = Path.Combine(_dir, prefix + "-labels-idx1-ubyte" + (gzip ? ".gz" : ""));
        Write(imagesPath, images, gzip);
        Write(labelsPath, labels, gzip);
        return (imagesPath, labelsPath);
    }

    private static void Write(string path, byte[] bytes, bool gzip)
    {
        using var file = File.Create(path);
        if (!gzip)
        {
            file.Write(bytes);
            return;
        }
        using var gz = new GZipStream(file, CompressionLevel.Fastest);
        gz.Write(bytes);
    }

    [TestMethod]
    public void Read_ParsesBigEndianHeadersPixelsAndLabels()
    {
        var (images, labels) = WriteFiles();
        LabeledImages data = MnistIdx.Read(images, labels);

        Assert.AreEqual(3, data.Count);
        Assert.AreEqual(2, data.Rows);
        Assert.AreEqual(3, data.Cols);
        Assert.AreEqual(6, data.FeatureSize);
        CollectionAssert.AreEqual(new uint[] { 7, 0, 9 }, data.Labels);
        for (int i = 0; i < 3; i++)
            for (int p = 0; p < 6; p++)
                Assert.AreEqual(Pixel(i, p) / 255f, data.Features[i * 6 + p]);
    }

    [TestMethod]
    public void Read_ReadsGzipCopiesAndHonoursMaxRows()
    {
        WriteFiles(prefix: "t10k", gzip: true);
        LabeledImages data = MnistIdx.Read(_dir, MnistSplit.Test, maxRows: 2);
        Assert.AreEqual(2, data.Count);
        Assert.AreEqual(12, data.Features.Length);
        CollectionAssert.AreEqual(new uint[] { 7, 0 }, data.Labels);
        Assert.AreEqual(Pixel(1, 5) / 255f, data.Features[11]);
    }

    [TestMethod]
    public void Load_ExposesKnownSizeVectorAndTenClassKeyWithDigitPlusOne()
    {
        WriteFiles();
        var ml = new MLContext(seed: 1);
        IDataView view = MnistIdx.Load(ml, _dir, MnistSplit.Train);

        var featuresType = (VectorDataViewType)view.Schema["Features"].Type;
        Assert.AreEqual(NumberDataViewType.Single, featuresType.ItemType);
        Assert.AreEqual(6, featuresType.Size);
        var labelType = (KeyDataViewType)view.Schema["Label"].Type;
        Assert.AreEqual(typeof(uint), labelType.RawType);
        Assert.AreEqual(10UL, labelType.Count);
        Assert.AreEqual(3L, view.GetRowCount());

        var (features, raw) = DataViewTestHelpers.ReadAll(view);
        CollectionAssert.AreEqual(new uint[] { 8, 1, 10 }, raw);
        Assert.AreEqual(Pixel(2, 3) / 255f, features[2][3]);

        // The same view must round-trip through ML.NET's own typed reader and key-to-value mapping.
        var rows = ml.Data.CreateEnumerable<SmallRow>(view, reuseRowObject: false).ToArray();
        CollectionAssert.AreEqual(new uint[] { 8, 1, 10 }, rows.Select(r => r.Label).ToArray());
        IDataView named = ml.Transforms.Conversion.MapKeyToValue("Digit", "Label").Fit(view).Transform(view);
        var digits = named.GetColumn<ReadOnlyMemory<char>>("Digit").Select(d => d.ToString()).ToArray();
        CollectionAssert.AreEqual(new[] { "7", "0", "9" }, digits);
    }

    [TestMethod]
    public void Load_ShuffledCursorVisitsEveryRowOnce()
    {
        WriteFiles();
        IDataView view = MnistIdx.Load(new MLContext(1), _dir, MnistSplit.Train);
        DataViewSchema.Column l = view.Schema["Label"];
        using var cursor = view.GetRowCursor(new[] { l }, new Random(3));
        var getter = cursor.GetGetter<uint>(l);
        var seen = new System.Collections.Generic.List<uint>();
        uint v = 0;
        while (cursor.MoveNext()) { getter(ref v); seen.Add(v); }
        CollectionAssert.AreEquivalent(new uint[] { 8, 1, 10 }, seen);
    }

    [TestMethod]
    public void Load_CursorSetCoversEveryRowInContiguousBatches()
    {
        WriteFiles();
        IDataView view = MnistIdx.Load(new MLContext(1), _dir, MnistSplit.Train);
        DataViewSchema.Column l = view.Schema["Label"];
        var seen = new System.Collections.Generic.List<(long Batch, uint Label)>();
        foreach (DataViewRowCursor cursor in view.GetRowCursorSet(new[] { l }, 2))
        {
            using (cursor)
            {
                var getter = cursor.GetGetter<uint>(l);
                uint v = 0;
                while (cursor.MoveNext()) { getter(ref v); seen.Add((cursor.Batch, v)); }
            }
        }
        CollectionAssert.AreEqual(new uint[] { 8, 1, 10 }, seen.OrderBy(s => s.Batch).Select(s => s.Label).ToArray());
    }

    [TestMethod]
    public void Read_RejectsBadImageMagicNamingTheFile()
    {
        var (images, labels) = WriteFiles(imageMagic: 0x801);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => MnistIdx.Read(images, labels));
        StringAssert.Contains(e.Message, images);
        StringAssert.Contains(e.Message, "0x00000801");
    }

    [TestMethod]
    public void Read_RejectsBadLabelMagicNamingTheFile()
    {
        var (images, labels) = WriteFiles(labelMagic: 0x803);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => MnistIdx.Read(images, labels));
        StringAssert.Contains(e.Message, labels);
    }

    [TestMethod]
    public void Read_RejectsCountMismatchNamingBothFiles()
    {
        var (images, labels) = WriteFiles(labelCount: 2);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => MnistIdx.Read(images, labels));
        StringAssert.Contains(e.Message, images);
        StringAssert.Contains(e.Message, labels);
    }

    [TestMethod]
    public void Read_RejectsTruncatedFiles()
    {
        var (images, labels) = WriteFiles(dropBytes: 1);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => MnistIdx.Read(images, labels));
        StringAssert.Contains(e.Message, images);

        var (gzImages, gzLabels) = WriteFiles(prefix: "gz", gzip: true, dropBytes: 1);
        e = Assert.ThrowsExactly<InvalidDataException>(() => MnistIdx.Read(gzImages, gzLabels));
        StringAssert.Contains(e.Message, gzImages);
    }

    [TestMethod]
    public void Read_ChecksArguments()
    {
        var (images, labels) = WriteFiles();
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => MnistIdx.Read(images, labels, maxRows: 0));
        Assert.ThrowsExactly<FileNotFoundException>(() => MnistIdx.Read(images + ".missing", labels));
        Assert.ThrowsExactly<FileNotFoundException>(() => MnistIdx.Read(_dir, MnistSplit.Test));
        Assert.ThrowsExactly<ArgumentNullException>(() => MnistIdx.Load(null!, _dir, MnistSplit.Train));
    }

    private sealed class SmallRow
    {
        [VectorType(6)]
        public float[] Features { get; set; } = null!;

        [KeyType(10)]
        public uint Label { get; set; }
    }
}
