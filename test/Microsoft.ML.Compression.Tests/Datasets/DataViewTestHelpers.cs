using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Microsoft.ML.Compression.Tests.Datasets;

/// <summary>Reads the Features/Label columns of a data view back through a plain cursor, as a trainer would.</summary>
internal static class DataViewTestHelpers
{
    public static (List<float[]> Features, List<uint> RawLabels) ReadAll(IDataView view, int? limit = null)
    {
        var features = new List<float[]>();
        var labels = new List<uint>();
        DataViewSchema.Column f = view.Schema["Features"];
        DataViewSchema.Column l = view.Schema["Label"];
        using DataViewRowCursor cursor = view.GetRowCursor(new[] { f, l });
        ValueGetter<VBuffer<float>> getF = cursor.GetGetter<VBuffer<float>>(f);
        ValueGetter<uint> getL = cursor.GetGetter<uint>(l);
        VBuffer<float> buffer = default;
        uint label = 0;
        while ((limit is null || labels.Count < limit) && cursor.MoveNext())
        {
            getF(ref buffer);
            getL(ref label);
            features.Add(buffer.DenseValues().ToArray());
            labels.Add(label);
        }
        return (features, labels);
    }

    public static List<uint> ReadRawLabels(IDataView view)
    {
        var labels = new List<uint>();
        DataViewSchema.Column l = view.Schema["Label"];
        using DataViewRowCursor cursor = view.GetRowCursor(new[] { l });
        ValueGetter<uint> getL = cursor.GetGetter<uint>(l);
        uint label = 0;
        while (cursor.MoveNext())
        {
            getL(ref label);
            labels.Add(label);
        }
        return labels;
    }
}
