using Microsoft.ML.Compression.Onnx;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Graph;

/// <summary>
/// y = x * weight[c] + bias[c] per channel of a [C,H,W] map (or per feature of a [F] vector): what an imported
/// model's Add/Sub/Mul/Div by a constant becomes when it cannot be folded into the layer before it, e.g. the input
/// normalization (x - mean) / std. A scalar constant is the same value for every channel. A layer made with
/// <c>trainable: false</c> keeps its values through training (an <see cref="ImageInput"/>'s normalization).
/// </summary>
public sealed class ScaleShiftLayer : Layer
{
    private static readonly string[] Names = { "weight", "bias" };

    /// <summary>Creates the layer for <paramref name="channels"/> channels of a [C,H,W] map (<paramref name="rank"/> 3) or features of a [F] vector (rank 1).</summary>
    public ScaleShiftLayer(string name, string input, int channels, int rank = 3, bool trainable = true) : base(name, new[] { input })
    {
        if (channels <= 0) throw new ArgumentOutOfRangeException(nameof(channels), channels, $"ScaleShift '{name}' needs channels > 0.");
        if (rank is not (1 or 3)) throw new ArgumentOutOfRangeException(nameof(rank), rank, $"ScaleShift '{name}' reads a [C,H,W] map (rank 3) or a [F] vector (rank 1).");
        Channels = channels;
        Rank = rank;
        Trainable = trainable;
    }

    /// <summary>False when training leaves the scale and shift as they are (a fixed input normalization).</summary>
    public bool Trainable { get; }

    /// <summary>Channels (or features) scaled.</summary>
    public int Channels { get; }

    /// <summary>Rank of the input without the batch: 3 for [C,H,W], 1 for [F].</summary>
    public int Rank { get; }

    /// <inheritdoc />
    public override string Kind => "ScaleShift";

    /// <inheritdoc />
    public override IReadOnlyList<string> ParameterNames => Names;

    /// <inheritdoc />
    public override int[] ParameterShape(string parameterName) => parameterName switch
    {
        "weight" or "bias" => new[] { Channels },
        _ => base.ParameterShape(parameterName),
    };

    /// <inheritdoc />
    public override int[] InferShape(IReadOnlyList<int[]> inputShapes)
    {
        if (inputShapes.Count != 1) throw ShapeError($"expects 1 input, got {inputShapes.Count}.");
        int[] x = inputShapes[0];
        if (x.Length != Rank || x[0] != Channels)
            throw ShapeError($"expects {(Rank == 3 ? $"a [{Channels},H,W] map" : $"a [{Channels}] vector")} but its input '{Inputs[0]}' has shape {Format(x)}.");
        return (int[])x.Clone();
    }

    /// <inheritdoc />
    public override Layer WithInputs(IReadOnlyList<string> inputs) => new ScaleShiftLayer(Name, inputs[0], Channels, Rank, Trainable);

    internal override nn.Module<Tensor, Tensor> CreateModule() => new ScaleShiftModule(Name, Channels, Rank, Trainable);

    internal override Tensor Forward(IReadOnlyList<Tensor> inputs, nn.Module<Tensor, Tensor>? module) => module!.call(inputs[0]);

    // [C,1,1] initializers broadcast over the map in ONNX; ONNX Runtime fuses Mul/Add after a Conv into it.
    internal override string WriteOnnx(OnnxLayerContext onnx)
    {
        long[] dims = Rank == 3 ? new long[] { Channels, 1, 1 } : new long[] { Channels };
        string weight = onnx.Builder.AddFloat($"{Name}.weight", dims, Parameters["weight"].Data);
        string bias = onnx.Builder.AddFloat($"{Name}.bias", dims, Parameters["bias"].Data);
        string scaled = onnx.Intermediate("Mul", new[] { onnx.Inputs[0], weight }, "scaled");
        return onnx.Node("Add", new[] { scaled, bias });
    }

    // Channel c (or unit c of a vector of Linear units) stays c. On a flattened map its values are per feature, not
    // per channel, so the dependency analysis stops pruning there (ChannelDependencies checks the input's atoms).
    internal override ChannelRule ChannelFlow => ChannelRule.PassThrough;

    internal override string BlockReason => $"'{Name}', a per-feature ScaleShift of a vector";

    internal override Layer Prune(KeptChannels kept)
    {
        if (kept.Output.Length == Channels) return Clone();
        var pruned = new ScaleShiftLayer(Name, Inputs[0], kept.Output.Length, Rank, Trainable);
        SelectInto(pruned, Names, 0, kept.Output);
        return pruned;
    }

    internal override int? PrunableWidth => Channels;
}

/// <summary>
/// The per-channel scale ("weight", starting at 1) and shift ("bias", starting at 0) of a <see cref="ScaleShiftLayer"/>:
/// parameters, or buffers when the layer is not trainable (the optimizer never sees them).
/// </summary>
internal sealed class ScaleShiftModule : nn.Module<Tensor, Tensor>
{
    private readonly Tensor _weight, _bias;
    private readonly long[] _view;

    public ScaleShiftModule(string name, int channels, int rank, bool trainable) : base($"{name}_scale_shift")
    {
        if (trainable)
        {
            var weight = new Parameter(torch.ones(channels));
            var bias = new Parameter(torch.zeros(channels));
            register_parameter("weight", weight);
            register_parameter("bias", bias);
            (_weight, _bias) = (weight, bias);
        }
        else
        {
            (_weight, _bias) = (torch.ones(channels), torch.zeros(channels));
            register_buffer("weight", _weight);
            register_buffer("bias", _bias);
        }
        _view = rank == 3 ? new long[] { 1, channels, 1, 1 } : new long[] { 1, channels };
    }

    public override Tensor forward(Tensor input) => input * _weight.view(_view) + _bias.view(_view);
}
