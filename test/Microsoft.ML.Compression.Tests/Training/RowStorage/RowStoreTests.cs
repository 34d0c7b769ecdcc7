using System;
using System.IO;
using System.Linq;
using Microsoft.ML.Compression.Training;
using Microsoft.ML.Compression.Training.RowStorage;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Compression.Tests.Training.RowStorage;

[TestClass]
public class RowStoreTests
{
    // Whole numbers 0..255 (stored as bytes) next to rows that must stay float32: fractions, -0, 256, NaN, negatives.
    internal static readonly float[][] MixedRows =
    {
        new float[] { 0, 1, 2, 255, 128, 7 },
        new float[] { 0.5f, 1, 2, 3, 4, 5 },
        new float[] { -0f, 1, 2, 3, 4, 5 },
        new float[] { 256, 1, 2, 3, 4, 5 },
        new float[] { float.NaN, 1, 2, 3, 4, 5 },
        new float[] { -1, 1e-20f, float.MaxValue, 3, 4, 5 },
        new float[] { 0, 0, 0, 0, 0, 0 },
    };

    [TestMethod]
    public void DiskRowsRoundTripBytesAndFloatsExactly()
    {
        using var store = new DiskRowStore(6);
        foreach (float[] row in MixedRows) store.Append(row);
        store.Complete();
        Assert.AreEqual(2, store.ByteRows, "the pixel row and the zero row are bytes; the others keep float32");
        Assert.AreEqual(2 * 6 + 5 * 6 * 4, store.Bytes);

        int[] order = { 6, 2, 0, 5, 3, 1, 4, 0 };
        var values = new float[order.Length * 6];
        store.Read(order, values);
        for (int i = 0; i < order.Length; i++)
            CollectionAssert.AreEqual(MixedRows[order[i]].Select(BitConverter.SingleToInt32Bits).ToArray(),
                values.Skip(i * 6).Take(6).Select(BitConverter.SingleToInt32Bits).ToArray(), $"row {order[i]} comes back bit for bit");
    }

    [TestMethod]
    public void LongByteRowsComeBackExactly()
    {
        // Every byte value, at every offset within a vector, plus a tail shorter than a vector.
        const int size = 3 * 256 + 13;
        float[] row = Enumerable.Range(0, size).Select(i => (float)(i * 7 % 256)).ToArray();
        using var store = new DiskRowStore(size);
        store.Append(row);
        store.Append(row.Reverse().ToArray());
        store.Complete();
        Assert.AreEqual(2, store.ByteRows);
        var back = new float[2 * size];
        store.Read(new[] { 0, 1 }, back);
        CollectionAssert.AreEqual(row, back.Take(size).ToArray());
        CollectionAssert.AreEqual(row.Reverse().ToArray(), back.Skip(size).ToArray());
    }

    [TestMethod]
    public void CacheFileIsGoneAfterDispose()
    {
        var store = new DiskRowStore(3);
        store.Append(new float[] { 1, 2, 3 });
        store.Complete();
        string path = store.Path;
        StringAssert.StartsWith(path, Path.GetTempPath());
        if (!OperatingSystem.IsWindows())
            Assert.IsFalse(File.Exists(path), "on Unix the file is unlinked while open, so a killed process leaves nothing behind");
        var row = new float[3];
        store.Read(new[] { 0 }, row);
        CollectionAssert.AreEqual(new float[] { 1, 2, 3 }, row, "the open handle still reads the rows");
        store.Dispose();
        Assert.IsFalse(File.Exists(path));
        Assert.ThrowsExactly<ObjectDisposedException>(() => store.Read(new[] { 0 }, row));
    }

    [TestMethod]
    public void MemoryRowsSpanChunksWithoutCopyingWhatWasRead()
    {
        // 1.5M values per row: two rows per 4M-value chunk, so five rows make three chunks, the last one trimmed.
        const int size = 1_500_000;
        using var store = new MemoryRowStore(size);
        Assert.AreEqual(2, store.RowsPerChunk);
        var row = new float[size];
        for (int r = 0; r < 5; r++)
        {
            row[0] = r;
            row[^1] = -r;
            store.Append(row);
        }
        store.Complete();
        Assert.AreEqual(5L * size * sizeof(float), store.Bytes, "no slack left after Complete");
        var back = new float[2 * size];
        store.Read(new[] { 4, 1 }, back);
        Assert.AreEqual(4f, back[0]);
        Assert.AreEqual(-4f, back[size - 1]);
        Assert.AreEqual(1f, back[size]);
        Assert.AreEqual(-1f, back[^1]);
    }

    [TestMethod]
    public void SizesBeyondInt32DoNotOverflow()
    {
        // 3 million MNIST rows hold 2.35e9 values: int arithmetic wrapped to a negative size here.
        Assert.AreEqual(2_352_000_000L, RowLayout.Values(3_000_000, 784));
        Assert.AreEqual(9_408_000_000L, RowLayout.FloatBytes(3_000_000, 784));
        Assert.IsTrue(RowLayout.StartsOnDisk(DataCaching.Auto, 3_000_000, 784));
        Assert.IsTrue(RowLayout.StartsOnDisk(DataCaching.Auto, int.MaxValue, 784));
        Assert.IsFalse(RowLayout.StartsOnDisk(DataCaching.Memory, 3_000_000, 784));

        int perChunk = MemoryRowStore.RowsPerChunkFor(784);
        (int chunk, int offset) = MemoryRowStore.Locate(2_999_999, perChunk, 784);
        Assert.AreEqual(2_999_999L, (long)chunk * perChunk + offset / 784);
        Assert.IsTrue(offset + 784 <= MemoryRowStore.ChunkValues);
        (chunk, offset) = MemoryRowStore.Locate(int.MaxValue - 1, perChunk, 784);
        Assert.AreEqual(int.MaxValue - 1L, (long)chunk * perChunk + offset / 784);
    }

    [TestMethod]
    public void AutoUsesMemoryUpTo512MiBOfFloats()
    {
        long limitRows = (512L << 20) / (784 * 4);
        Assert.IsFalse(RowLayout.StartsOnDisk(DataCaching.Auto, limitRows, 784));
        Assert.IsTrue(RowLayout.StartsOnDisk(DataCaching.Auto, limitRows + 1, 784));
        Assert.IsFalse(RowLayout.StartsOnDisk(DataCaching.Auto, null, 784), "an unknown count starts in memory and spills past the limit");
        Assert.IsTrue(RowLayout.StartsOnDisk(DataCaching.Disk, 10, 784));
        // 100,000 RGB 64x64 images are 4.9 GB as floats.
        Assert.IsTrue(RowLayout.StartsOnDisk(DataCaching.Auto, 100_000, 3 * 64 * 64));
    }
}
