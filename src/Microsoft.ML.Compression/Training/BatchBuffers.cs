using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Training;

/// <summary>
/// The training loop's feature arrays, one per batch size, reused every step. A fresh array per batch (megabytes for
/// images) lands on the large-object heap and brings frequent full collections, and each collection can finalize a
/// temporary Scalar that TorchSharp 0.107 is still passing to libtorch (seen as a "toFloat" failure in a forward add;
/// see <see cref="NoCollection"/>). The tensor gets its own copy, so the array is free again after the step's start.
/// </summary>
internal sealed class BatchBuffers
{
    private readonly int _featureSize;
    private readonly Dictionary<int, float[]> _arrays = new();

    public BatchBuffers(int featureSize) => _featureSize = featureSize;

    /// <summary>The array for <paramref name="rows"/> rows (exactly rows x features values).</summary>
    public float[] For(int rows)
    {
        if (!_arrays.TryGetValue(rows, out float[]? array))
            _arrays[rows] = array = new float[checked(rows * _featureSize)];
        return array;
    }

    /// <summary>A [rows, features] tensor holding a copy of <paramref name="array"/> (which may be refilled afterwards).</summary>
    public Tensor ToTensor(float[] array, int rows)
    {
        // torch.tensor over an array may share its memory; clone so the next batch can reuse the array.
        using Tensor view = torch.tensor(array, new long[] { rows, _featureSize });
        return view.clone();
    }
}
