using System.IO;
using System.Numerics;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Microsoft.ML.Compression.Training.RowStorage;

/// <summary>
/// Rows in a temporary file, each stored as one byte per value when every value is a whole number 0..255 (raw pixels)
/// and as float32 otherwise; a row's encoding follows from its length (FeatureSize or 4 x FeatureSize bytes), so the
/// index is just each row's start. Rows are read back with positional reads, not a memory map: mapped pages count in
/// the process's working set, while the OS's file cache does not. The file is deleted when the store is disposed and,
/// because it is unlinked as soon as it is open (Unix) or opened delete-on-close (Windows), also when the process dies.
/// </summary>
internal sealed class DiskRowStore : RowStore
{
    private readonly FileStream _file;
    private readonly List<long> _starts = new() { 0 };
    private readonly byte[] _encoded;
    private long[] _index = Array.Empty<long>();
    private long _length;

    /// <summary>Creates the file in the temp folder.</summary>
    public DiskRowStore(int featureSize) : base(featureSize)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"mlcompression-rows-{Guid.NewGuid():N}.bin");
        _file = new FileStream(Path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Delete, 1 << 20, FileOptions.DeleteOnClose);
        // On Unix the open handle keeps the data; unlinking now means nothing is left behind if the process is killed.
        if (!OperatingSystem.IsWindows()) File.Delete(Path);
        _encoded = new byte[RowLayout.FloatBytes(1, featureSize)];
    }

    /// <summary>Where the file was created (on Unix it has no name any more once open).</summary>
    public string Path { get; }

    /// <inheritdoc />
    public override bool OnDisk => true;

    /// <summary>Bytes written.</summary>
    public long Bytes => _length;

    /// <summary>Rows stored one byte per value.</summary>
    public int ByteRows { get; private set; }

    protected override void AppendCore(ReadOnlySpan<float> row)
    {
        int length = IsBytes(row) ? FeatureSize : FeatureSize * sizeof(float);
        if (length == FeatureSize)
        {
            for (int i = 0; i < row.Length; i++) _encoded[i] = (byte)row[i];
            ByteRows++;
        }
        else
            MemoryMarshal.AsBytes(row).CopyTo(_encoded);
        _file.Write(_encoded, 0, length);
        _length += length;
        _starts.Add(_length);
    }

    // Whole numbers 0..255 come back exactly from a byte; -0 would come back as +0, so it keeps float storage.
    private static bool IsBytes(ReadOnlySpan<float> row)
    {
        foreach (float v in row)
            if (!(v >= 0 && v <= 255 && v == MathF.Floor(v)) || (v == 0 && float.IsNegative(v))) return false;
        return true;
    }

    /// <inheritdoc />
    public override void Complete()
    {
        _file.Flush();
        _index = _starts.ToArray();
        _starts.Clear();
        _starts.TrimExcess();
    }

    protected override void ReadCore(ReadOnlySpan<int> rows, Span<float> destination)
    {
        if (_index.Length != Count + 1) throw new InvalidOperationException("The rows are read before they were all written (call Complete).");
        SafeFileHandle handle = _file.SafeFileHandle;
        byte[] buffer = new byte[_encoded.Length];
        // Visit the rows in file order: neighbouring reads are cheaper, and each lands in its own slot anyway.
        int[] visit = new int[rows.Length];
        for (int i = 0; i < visit.Length; i++) visit[i] = i;
        int[] keys = rows.ToArray();
        Array.Sort(keys, visit);
        foreach (int i in visit)
        {
            int row = rows[i];
            long start = _index[row];
            int length = (int)(_index[row + 1] - start);
            Span<byte> bytes = buffer.AsSpan(0, length);
            for (int done = 0; done < length;)
            {
                int read = RandomAccess.Read(handle, bytes[done..], start + done);
                if (read == 0) throw new IOException($"The row cache file ended early at row {row}.");
                done += read;
            }
            Span<float> target = destination.Slice(i * FeatureSize, FeatureSize);
            if (length == FeatureSize)
                Widen(bytes, target);
            else
                MemoryMarshal.Cast<byte, float>(bytes).CopyTo(target);
        }
    }

    // Bytes to floats a vector at a time: this runs for every value of every batch.
    private static void Widen(ReadOnlySpan<byte> bytes, Span<float> target)
    {
        int j = 0;
        if (Vector.IsHardwareAccelerated)
            for (; j <= bytes.Length - Vector<byte>.Count; j += Vector<byte>.Count)
            {
                Vector.Widen(new Vector<byte>(bytes[j..]), out Vector<ushort> low, out Vector<ushort> high);
                Vector.Widen(low, out Vector<uint> a, out Vector<uint> b);
                Vector.Widen(high, out Vector<uint> c, out Vector<uint> d);
                int n = Vector<uint>.Count;
                Vector.ConvertToSingle(Vector.AsVectorInt32(a)).CopyTo(target[j..]);
                Vector.ConvertToSingle(Vector.AsVectorInt32(b)).CopyTo(target[(j + n)..]);
                Vector.ConvertToSingle(Vector.AsVectorInt32(c)).CopyTo(target[(j + 2 * n)..]);
                Vector.ConvertToSingle(Vector.AsVectorInt32(d)).CopyTo(target[(j + 3 * n)..]);
            }
        for (; j < bytes.Length; j++) target[j] = bytes[j];
    }

    protected override void Release() => _file.Dispose();
}
