using Microsoft.ML.Data;

namespace Microsoft.ML.Compression.Graph;

/// <summary>How the pixels of an image sit in a flat feature vector.</summary>
public enum PixelLayout
{
    /// <summary>Planar: all of channel 0, then channel 1... ([C,H,W]; ML.NET's ExtractPixels by default).</summary>
    Chw,

    /// <summary>Interleaved: the channels of pixel (0,0), then of pixel (0,1)... ([H,W,C]; ExtractPixels with interleavePixelColors: true, Keras).</summary>
    Hwc,
}

/// <summary>
/// What a network's input is: an image of <see cref="Channels"/> x <see cref="Height"/> x <see cref="Width"/> pixels in
/// <see cref="Layout"/>, and the per-channel normalization (x - mean) / std the network applies itself, so that an
/// exported model scores the raw pixels ML.NET extracted (0..255 unless ExtractPixels was told to scale them).
/// </summary>
/// <param name="Channels">Color planes: 3 for RGB, 1 for gray.</param>
/// <param name="Height">Rows of pixels.</param>
/// <param name="Width">Columns of pixels.</param>
public sealed record ImageInput(int Channels, int Height, int Width)
{
    /// <summary>Planar (default) or interleaved pixels.</summary>
    public PixelLayout Layout { get; init; } = PixelLayout.Chw;

    /// <summary>Per-channel mean subtracted first (one value, or one per channel), in the units of the feature column; null: none.</summary>
    public IReadOnlyList<float>? Mean { get; init; }

    /// <summary>Per-channel standard deviation divided by after the mean (one value, or one per channel); null: 1.</summary>
    public IReadOnlyList<float>? Std { get; init; }

    /// <summary>
    /// RGB pixels as ML.NET's ExtractPixels writes them by default (planar, 0..255), normalized with ImageNet's
    /// per-channel mean and standard deviation scaled to 0..255.
    /// </summary>
    public static ImageInput Rgb(int height, int width) => new(3, height, width)
    {
        Mean = new[] { 0.485f * 255, 0.456f * 255, 0.406f * 255 },
        Std = new[] { 0.229f * 255, 0.224f * 255, 0.225f * 255 },
    };

    /// <summary>
    /// The image input a pixel column holds, taken from how ExtractPixels wrote it: its dimensions [C,H,W] (planar) or
    /// [H,W,C] (interleaved; told apart by the channel count, 1, 3 or 4, standing last). No normalization is set.
    /// </summary>
    /// <exception cref="ArgumentException">The column is missing, or is not a float vector with three dimensions; the message names it.</exception>
    public static ImageInput FromColumn(DataViewSchema schema, string columnName = "Features")
    {
        ArgumentNullException.ThrowIfNull(schema);
        if (schema.GetColumnOrNull(columnName) is not { Type: VectorDataViewType { ItemType: NumberDataViewType n } vector } || n != NumberDataViewType.Single
            || vector.Dimensions.Length != 3 || vector.Dimensions.Any(d => d <= 0))
            throw new ArgumentException($"Column '{columnName}' must be the float pixels ExtractPixels writes, with dimensions [C,H,W] or [H,W,C]; " +
                $"it is {(schema.GetColumnOrNull(columnName) is { } c ? c.Type.ToString() : "not in the data")}. State the input with new ImageInput(channels, height, width) instead.", nameof(columnName));
        int[] d = vector.Dimensions.ToArray();
        bool interleaved = d[2] is 1 or 3 or 4 && d[0] is not (1 or 3 or 4);
        return interleaved ? new ImageInput(d[2], d[0], d[1]) { Layout = PixelLayout.Hwc } : new ImageInput(d[0], d[1], d[2]);
    }

    /// <summary>The input's shape without the batch, in its layout ([C,H,W] or [H,W,C]).</summary>
    public int[] Shape => Layout == PixelLayout.Chw ? new[] { Channels, Height, Width } : new[] { Height, Width, Channels };

    /// <summary>Values per image.</summary>
    public int Size => checked(Channels * Height * Width);

    /// <summary>True when the network normalizes its input.</summary>
    public bool IsNormalized => Mean is not null || Std is not null;

    /// <summary>Checks sizes and normalization; the message names the value at fault.</summary>
    public void Validate()
    {
        if (Channels <= 0 || Height <= 0 || Width <= 0)
            throw new ArgumentOutOfRangeException(nameof(Channels), $"An image input needs positive channels, height and width, got {Channels}x{Height}x{Width}.");
        if (!Enum.IsDefined(Layout))
            throw new ArgumentOutOfRangeException(nameof(Layout), Layout, "Layout must be Chw or Hwc.");
        CheckPerChannel(Mean, nameof(Mean), v => float.IsFinite(v));
        CheckPerChannel(Std, nameof(Std), v => float.IsFinite(v) && v > 0);
    }

    private void CheckPerChannel(IReadOnlyList<float>? values, string name, Func<float, bool> valid)
    {
        if (values is null) return;
        if (values.Count != 1 && values.Count != Channels)
            throw new ArgumentException($"{name} needs 1 or {Channels} values (one per channel), got {values.Count}.", name);
        if (!values.All(valid))
            throw new ArgumentOutOfRangeException(name, $"{name} values must be finite{(name == nameof(Std) ? " and positive" : "")}, got [{string.Join(", ", values)}].");
    }

    internal float MeanOf(int channel) => Mean is null ? 0 : Mean[Mean.Count == 1 ? 0 : channel];

    internal float StdOf(int channel) => Std is null ? 1 : Std[Std.Count == 1 ? 0 : channel];

    /// <summary>
    /// Adds the layers that turn this input into the normalized [C,H,W] map the network's first convolution reads (a
    /// Transpose for interleaved pixels, a fixed ScaleShift for the normalization) and returns the name of the last.
    /// </summary>
    internal string AddPrefix(NetworkBuilder builder)
    {
        string x = NetworkGraph.InputName;
        if (Layout == PixelLayout.Hwc) x = builder.Add(new TransposeLayer(LayoutLayerName, x, new[] { 2, 0, 1 }));
        if (!IsNormalized) return x;
        var normalize = new ScaleShiftLayer(NormalizeLayerName, x, Channels, trainable: false);
        normalize.SetParameter("weight", new ParameterTensor(new[] { Channels }, Enumerable.Range(0, Channels).Select(c => 1 / StdOf(c)).ToArray()));
        normalize.SetParameter("bias", new ParameterTensor(new[] { Channels }, Enumerable.Range(0, Channels).Select(c => -MeanOf(c) / StdOf(c)).ToArray()));
        return builder.Add(normalize);
    }

    internal const string LayoutLayerName = "input_to_chw";
    internal const string NormalizeLayerName = "input_normalize";

    /// <summary>
    /// The image input of <paramref name="network"/>: its [C,H,W] or [H,W,C] shape (interleaved when its first layer
    /// moves the channels of a [H,W,C] input to the front) and the normalization of a per-channel ScaleShift right
    /// after; null for a network that reads a vector.
    /// </summary>
    public static ImageInput? Of(NetworkGraph network)
    {
        ArgumentNullException.ThrowIfNull(network);
        int[] s = network.InputShape;
        if (s.Length != 3) return null;
        string current = NetworkGraph.InputName;
        var readers = network.ConsumersOf(current).ToList();
        ImageInput input = new(s[0], s[1], s[2]);
        if (readers is [TransposeLayer { Permutation: [2, 0, 1] } t])
        {
            input = new ImageInput(s[2], s[0], s[1]) { Layout = PixelLayout.Hwc };
            current = t.Name;
            readers = network.ConsumersOf(current).ToList();
        }
        if (readers is [ScaleShiftLayer { Rank: 3 } n] && n.Parameters.TryGetValue("weight", out var w) && n.Parameters.TryGetValue("bias", out var b)
            && w.Data.All(v => v != 0))
            input = input with
            {
                Std = w.Data.Select(v => 1 / v).ToArray(),
                Mean = w.Data.Zip(b.Data, (scale, shift) => -shift / scale).ToArray(),
            };
        return input;
    }

    /// <summary>
    /// Checks that the feature column <paramref name="column"/> holds pixels the way this input reads them. ML.NET's
    /// ExtractPixels states its layout in the column's dimensions ([C,H,W] planar, [H,W,C] interleaved); a column with
    /// the same values in the other layout would be silently scrambled, so it is an error saying how to fix it.
    /// </summary>
    internal void CheckColumn(string columnName, VectorDataViewType column)
    {
        if (column.Dimensions.Length != 3 || column.Dimensions.SequenceEqual(Shape)) return;
        int[] d = column.Dimensions.ToArray();
        bool interleaved = d[2] == Channels && d[0] == Height && d[1] == Width;
        bool planar = d[0] == Channels && d[1] == Height && d[2] == Width;
        if (Channels == 1 && (interleaved || planar)) return; // one plane reads the same either way
        if (interleaved || planar)
            throw new ArgumentException(
                $"Feature column '{columnName}' holds {(interleaved ? "interleaved" : "planar")} pixels {Layer.Format(d)}, but the network reads " +
                $"{(Layout == PixelLayout.Chw ? "planar" : "interleaved")} pixels {Layer.Format(Shape)}. Extract them with " +
                $"ExtractPixels(interleavePixelColors: {(Layout == PixelLayout.Hwc ? "true" : "false")}), or build the network for " +
                $"new ImageInput({Channels}, {Height}, {Width}) {{ Layout = PixelLayout.{(interleaved ? "Hwc" : "Chw")} }}.", columnName);
        throw new ArgumentException(
            $"Feature column '{columnName}' holds images of {Layer.Format(d)}, but the network reads {Layer.Format(Shape)} " +
            $"({Channels} channel(s) of {Height}x{Width}). Resize the images to {Width}x{Height} (ResizeImages) and extract " +
            $"{(Channels == 1 ? "one channel (ConvertToGrayscale, then ExtractPixels with colorsToExtract: Red)" : Channels == 3 ? "RGB (ExtractPixels' default)" : Channels + " channels")}, or build the network for the images you have.",
            columnName);
    }
}
