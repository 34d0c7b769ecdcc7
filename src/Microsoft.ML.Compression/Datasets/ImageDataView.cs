using Microsoft.ML;
using Microsoft.ML.Data;

namespace Microsoft.ML.Compression.Datasets;

/// <summary>
/// Read-only <see cref="IDataView"/> over <see cref="LabeledImages"/>. Written by hand rather than via
/// <c>LoadFromEnumerable</c> so that the 60,000 x 784 pixel array is shared, not copied into one object per row,
/// and so that the vector size and key count come from the data instead of compile-time attributes.
/// </summary>
internal sealed class ImageDataView : IDataView
{
    public const string FeaturesColumn = "Features";
    public const string LabelColumn = "Label";

    private readonly LabeledImages _data;

    public ImageDataView(LabeledImages data)
    {
        _data = data ?? throw new ArgumentNullException(nameof(data));

        var labelAnnotations = new DataViewSchema.Annotations.Builder();
        ReadOnlyMemory<char>[] names = data.ClassNames.Select(n => n.AsMemory()).ToArray();
        // "KeyValues" is the annotation kind ML.NET's MapKeyToValue reads; its public helper for it is internal.
        ValueGetter<VBuffer<ReadOnlyMemory<char>>> keyValues =
            (ref VBuffer<ReadOnlyMemory<char>> dst) => dst = new VBuffer<ReadOnlyMemory<char>>(names.Length, (ReadOnlyMemory<char>[])names.Clone());
        labelAnnotations.Add("KeyValues", new VectorDataViewType(TextDataViewType.Instance, names.Length), keyValues);

        var builder = new DataViewSchema.Builder();
        builder.AddColumn(FeaturesColumn, new VectorDataViewType(NumberDataViewType.Single, data.FeatureSize));
        builder.AddColumn(LabelColumn, new KeyDataViewType(typeof(uint), data.ClassCount), labelAnnotations.ToAnnotations());
        Schema = builder.ToSchema();
    }

    public bool CanShuffle => true;

    public DataViewSchema Schema { get; }

    public long? GetRowCount() => _data.Count;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
        => new Cursor(this, Permutation(rand), 0, _data.Count, 0);

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
    {
        // ML.NET's consolidator restores row order by Batch, so each cursor takes one contiguous block with its own batch id.
        n = Math.Clamp(n, 1, Math.Max(1, _data.Count));
        int[]? order = Permutation(rand);
        var cursors = new DataViewRowCursor[n];
        for (int i = 0; i < n; i++)
            cursors[i] = new Cursor(this, order, (int)((long)_data.Count * i / n), (int)((long)_data.Count * (i + 1) / n), i);
        return cursors;
    }

    private int[]? Permutation(Random? rand)
    {
        if (rand is null)
            return null;
        int[] order = Enumerable.Range(0, _data.Count).ToArray();
        rand.Shuffle(order);
        return order;
    }

    private sealed class Cursor : DataViewRowCursor
    {
        private readonly ImageDataView _parent;
        private readonly int[]? _order;
        private readonly int _end;
        private readonly long _batch;
        private int _next;
        private int _row = -1;
        private long _position = -1;

        public Cursor(ImageDataView parent, int[]? order, int start, int end, long batch)
        {
            _parent = parent;
            _order = order;
            _next = start;
            _end = end;
            _batch = batch;
        }

        public override DataViewSchema Schema => _parent.Schema;

        public override long Position => _position;

        public override long Batch => _batch;

        public override bool IsColumnActive(DataViewSchema.Column column) => column.Index < 2;

        public override bool MoveNext()
        {
            if (_next >= _end)
            {
                _row = -1;
                return false;
            }
            _row = _order is null ? _next : _order[_next];
            _next++;
            _position++;
            return true;
        }

        public override ValueGetter<DataViewRowId> GetIdGetter()
            => (ref DataViewRowId value) =>
            {
                EnsureRow();
                value = new DataViewRowId((ulong)_row, 0);
            };

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (column.Index == 0)
            {
                if (typeof(TValue) != typeof(VBuffer<float>))
                    throw new InvalidOperationException($"Column '{FeaturesColumn}' is VBuffer<float>, not {typeof(TValue).Name}.");
                ValueGetter<VBuffer<float>> getter = GetFeatures;
                return (ValueGetter<TValue>)(Delegate)getter;
            }
            if (column.Index == 1)
            {
                if (typeof(TValue) != typeof(uint))
                    throw new InvalidOperationException($"Column '{LabelColumn}' is a key over uint, not {typeof(TValue).Name}.");
                ValueGetter<uint> getter = GetLabel;
                return (ValueGetter<TValue>)(Delegate)getter;
            }
            throw new ArgumentOutOfRangeException(nameof(column), $"Column index {column.Index} is not in this schema.");
        }

        private void GetFeatures(ref VBuffer<float> value)
        {
            EnsureRow();
            int size = _parent._data.FeatureSize;
            var editor = VBufferEditor.Create(ref value, size);
            _parent._data.Features.AsSpan(_row * size, size).CopyTo(editor.Values);
            value = editor.Commit();
        }

        // ML.NET keys are 1-based; raw 0 means missing.
        private void GetLabel(ref uint value)
        {
            EnsureRow();
            value = _parent._data.Labels[_row] + 1;
        }

        private void EnsureRow()
        {
            if (_row < 0)
                throw new InvalidOperationException("The cursor is not positioned on a row; call MoveNext first.");
        }
    }
}
