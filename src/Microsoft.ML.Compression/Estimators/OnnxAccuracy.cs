using Microsoft.ML.Data;

namespace Microsoft.ML.Compression.Estimators;

/// <summary>Top-1 accuracy of a fitted model as ONNX Runtime scores it (the model users ship, not its training copy).</summary>
internal static class OnnxAccuracy
{
    /// <summary>The fraction of rows of <paramref name="data"/> whose most probable class (in <paramref name="scoreColumn"/>) is <paramref name="labels"/>[row].</summary>
    public static double Of(CompressedModelTransformer model, IDataView data, int[] labels, string scoreColumn)
    {
        IDataView scored = model.Transform(data);
        DataViewSchema.Column score = scored.Schema[scoreColumn];
        using DataViewRowCursor cursor = scored.GetRowCursor(new[] { score });
        var getter = cursor.GetGetter<VBuffer<float>>(score);
        VBuffer<float> buffer = default;
        long correct = 0;
        int row = 0;
        while (cursor.MoveNext() && row < labels.Length)
        {
            getter(ref buffer);
            ReadOnlySpan<float> p = buffer.GetValues();
            int best = 0;
            for (int k = 1; k < p.Length; k++) if (p[k] > p[best]) best = k;
            if (best == labels[row]) correct++;
            row++;
        }
        return row == 0 ? 0 : (double)correct / row;
    }
}
