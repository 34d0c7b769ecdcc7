using Microsoft.ML.Data;

namespace Microsoft.ML.Compression.Cli.Data;

/// <summary>Images turned into model features (normalized, one array per image) with their class indexes when labelled.</summary>
public sealed class ImageSet
{
    /// <summary>Creates the set; <paramref name="labels"/> is null for unlabelled images.</summary>
    public ImageSet(string source, ImageSpec spec, float[][] features, int[]? labels, IReadOnlyList<string> classNames, IReadOnlyList<string> warnings)
    {
        Source = source;
        Spec = spec;
        Features = features;
        Labels = labels;
        ClassNames = classNames;
        Warnings = warnings;
    }

    /// <summary>The folder or file the images came from.</summary>
    public string Source { get; }

    /// <summary>How the pixels became features.</summary>
    public ImageSpec Spec { get; }

    /// <summary>One normalized feature vector per image.</summary>
    public float[][] Features { get; }

    /// <summary>0-based class index per image, or null without labels.</summary>
    public int[]? Labels { get; }

    /// <summary>Class names by index (folder names, or the label values of an IDX file).</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>Files skipped and why.</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>Images in the set.</summary>
    public int Count => Features.Length;

    /// <summary>
    /// The images as an IDataView: <c>Features</c> (vector of Single, the model's input size) and, when labelled,
    /// <c>Label</c> (Int32 class index from 0, which every estimator of the library accepts).
    /// </summary>
    public IDataView ToDataView(MLContext ml)
    {
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, Spec.Size);
        int[] labels = Labels ?? new int[Count];
        var rows = Enumerable.Range(0, Count).Select(i => new Row { Features = Features[i], Label = labels[i] });
        return ml.Data.LoadFromEnumerable(rows.ToList(), schema);
    }

    /// <summary>
    /// Checks that the images are labelled for a model of <paramref name="classes"/> outputs: class folders (in ordinal
    /// name order) map to outputs 0..N-1, so their number must be the model's; IDX labels must be below it.
    /// </summary>
    public void RequireLabels(int classes, string option)
    {
        if (Labels is null)
            throw CliException.BadData($"{option} '{Source}' has no labels: give a folder with one subfolder per class, or an IDX labels file with --labels.");
        if (FromFolder && ClassNames.Count != classes)
            throw CliException.BadData(
                $"{option} '{Source}' has {ClassNames.Count} class folders ({string.Join(", ", ClassNames.Take(12))}{(ClassNames.Count > 12 ? ", ..." : "")}), but the model predicts {classes} classes; give one folder per class, named so that they sort in the model's class order.");
        int max = Labels.Max();
        if (max >= classes)
            throw CliException.BadData($"{option} '{Source}' holds label {max}, but the model predicts {classes} classes (labels 0..{classes - 1}).");
    }

    /// <summary>True when the labels are class folder names (not IDX labels).</summary>
    public bool FromFolder { get; init; }

    private sealed class Row
    {
        public float[] Features { get; set; } = Array.Empty<float>();

        public int Label { get; set; }
    }
}
