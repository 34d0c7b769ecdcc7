using System;
using System.Collections.Generic;
using System.IO;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Benchmarks.BigData;

/// <summary>
/// A streaming <see cref="IDataView"/> over a <see cref="SyntheticImageFile"/>: each cursor reads the file front to
/// back, one image at a time, so the data set is never in memory. Features = Vector&lt;Single, C, H, W&gt; (planar raw
/// pixels 0..255, as ML.NET's ExtractPixels gives them), Label = key over the classes.
/// </summary>
internal sealed class ImageFileDataView : IDataView
{
    private readonly string _path;
    private readonly int _count, _imageBytes;

    /// <param name="path">The file.</param>
    /// <param name="rows">Only the first rows (a subset); null: all.</param>
    public ImageFileDataView(string path, int? rows = null)
    {
        _path = path;
        (int count, int c, int h, int w) = SyntheticImageFile.ReadHeader(path);
        _count = Math.Min(count, rows ?? count);
        _imageBytes = c * h * w;
        var builder = new DataViewSchema.Builder();
        builder.AddColumn("Features", new VectorDataViewType(NumberDataViewType.Single, c, h, w));
        builder.AddColumn("Label", new KeyDataViewType(typeof(uint), SyntheticImageFile.Classes));
        Schema = builder.ToSchema();
    }

    public DataViewSchema Schema { get; }

    public bool CanShuffle => false;

    public long? GetRowCount() => _count;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) => new Cursor(this);

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) => new[] { GetRowCursor(columnsNeeded, rand) };

    private sealed class Cursor : DataViewRowCursor
    {
        private readonly ImageFileDataView _parent;
        private readonly FileStream _file;
        private readonly byte[] _row;
        private long _position = -1;

        public Cursor(ImageFileDataView parent)
        {
            _parent = parent;
            _file = new FileStream(parent._path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
            _file.Position = SyntheticImageFile.Offset(0, parent._imageBytes);
            _row = new byte[1 + parent._imageBytes];
        }

        public override DataViewSchema Schema => _parent.Schema;
        public override long Position => _position;
        public override long Batch => 0;
        public override bool IsColumnActive(DataViewSchema.Column column) => true;

        public override bool MoveNext()
        {
            if (_position + 1 >= _parent._count) return false;
            _file.ReadExactly(_row);
            _position++;
            return true;
        }

        public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId id) => id = new DataViewRowId((ulong)_position, 0);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (column.Index == 0 && typeof(TValue) == typeof(VBuffer<float>))
                return (ValueGetter<TValue>)(Delegate)(ValueGetter<VBuffer<float>>)GetFeatures;
            if (column.Index == 1 && typeof(TValue) == typeof(uint))
                return (ValueGetter<TValue>)(Delegate)(ValueGetter<uint>)((ref uint label) => label = _row[0] + 1u); // keys are 1-based
            throw new InvalidOperationException($"Column {column.Name} has no getter of {typeof(TValue).Name}.");
        }

        private void GetFeatures(ref VBuffer<float> value)
        {
            var editor = VBufferEditor.Create(ref value, _parent._imageBytes);
            for (int i = 0; i < _parent._imageBytes; i++) editor.Values[i] = _row[1 + i];
            value = editor.Commit();
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) _file.Dispose();
            base.Dispose(disposing);
        }
    }
}
