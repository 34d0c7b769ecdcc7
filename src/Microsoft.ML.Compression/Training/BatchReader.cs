using System.Threading.Tasks;
using Microsoft.ML.Compression.Training.Augmentation;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Training;

/// <summary>
/// Turns the training loop's batches into tensors: reads the rows (from memory or the disk cache), augments them, and
/// reads the next batch on a background task while the current step computes, which hides the disk reads. Each
/// batch depends only on (seed, epoch, batch index), so prefetching does not change what is trained. The feature
/// arrays are reused (the tensor takes a copy): a fresh multi-megabyte array per batch lands on the large-object heap
/// and brings frequent full collections, each of which can finalize a temporary Scalar that TorchSharp 0.107 is still
/// passing to libtorch (seen as a "toFloat" failure in a forward add; see <see cref="NoCollection"/>).
/// </summary>
internal sealed class BatchReader : IDisposable
{
    private readonly LabeledDataset _data;
    private readonly int _batchSize, _seed;
    private readonly BatchAugmenter? _augmenter;
    private readonly Dictionary<int, float[]> _arrays = new();
    private int[] _order = Array.Empty<int>();
    private int _epoch;
    private Task<(float[] X, long[] Y)>? _pending;
    private int _pendingBatch = -1;

    public BatchReader(LabeledDataset data, int batchSize, BatchAugmenter? augmenter, int seed)
    {
        _data = data;
        _batchSize = batchSize;
        _augmenter = augmenter;
        _seed = seed;
    }

    /// <summary>Batches per epoch.</summary>
    public int Batches => (_data.Count + _batchSize - 1) / _batchSize;

    /// <summary>Starts an epoch that visits the rows in <paramref name="order"/>.</summary>
    public void StartEpoch(int epoch, int[] order)
    {
        Settle();
        _epoch = epoch;
        _order = order;
    }

    /// <summary>Batch <paramref name="batch"/> of the epoch as [rows, features] and [rows] tensors; starts reading the next.</summary>
    public (Tensor X, Tensor Y) Take(int batch)
    {
        if (_pendingBatch != batch) Settle(); // one read at a time: they share the arrays
        (float[] x, long[] y) = _pending is not null ? _pending.GetAwaiter().GetResult() : Read(batch);
        _pending = null;
        _pendingBatch = -1;
        // torch.tensor over an array may share its memory: clone, so the array can take the next batch right away.
        using Tensor view = torch.tensor(x, new long[] { y.Length, _data.FeatureSize });
        (Tensor X, Tensor Y) tensors = (view.clone(), torch.tensor(y));
        if (batch + 1 < Batches)
        {
            int next = batch + 1;
            _pendingBatch = next;
            _pending = Task.Run(() => Read(next));
        }
        return tensors;
    }

    private (float[] X, long[] Y) Read(int batch)
    {
        int start = batch * _batchSize, size = Math.Min(_batchSize, _data.Count - start);
        if (!_arrays.TryGetValue(size, out float[]? x))
            _arrays[size] = x = new float[checked(size * _data.FeatureSize)];
        long[] y = TrainingLoop.ReadBatch(_data, _order, start, size, x);
        _augmenter?.Apply(x, size, BatchAugmenter.RandomFor(_seed, _epoch, batch));
        return (x, y);
    }

    // Waits for a read in flight (the data may be disposed after the loop); its result or failure is not needed.
    private void Settle()
    {
        try { _pending?.Wait(); }
        catch (AggregateException) { }
        _pending = null;
        _pendingBatch = -1;
    }

    public void Dispose() => Settle();
}
