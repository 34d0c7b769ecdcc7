using Microsoft.ML.Compression.Onnx;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Graph;

/// <summary>
/// x for x &gt;= 0, a * x below, with a learned slope a per channel or one shared slope (ONNX PRelu, PyTorch PReLU).
/// </summary>
public sealed class PReLULayer : Layer
{
    private static readonly string[] Names = { "weight" };

    /// <summary>
    /// Creates the layer with <paramref name="slopes"/> learned slopes (1: shared; else one per channel of a [C,H,W]
    /// map or per feature of a vector) for an input of <paramref name="rank"/> dimensions without the batch.
    /// </summary>
    public PReLULayer(string name, string input, int slopes, int rank = 3) : base(name, new[] { input })
    {
        if (slopes <= 0) throw new ArgumentOutOfRangeException(nameof(slopes), slopes, $"PReLU '{name}' needs at least one slope.");
        if (rank is < 1 or > 3) throw new ArgumentOutOfRangeException(nameof(rank), rank, $"PReLU '{name}' reads inputs of rank 1 to 3.");
        Slopes = slopes;
        Rank = rank;
    }

    /// <summary>Rank of the input without the batch: 3 for [C,H,W], 1 for [F].</summary>
    public int Rank { get; }

    /// <summary>Number of learned slopes: 1 (shared) or the channel count.</summary>
    public int Slopes { get; }

    /// <inheritdoc />
    public override string Kind => "PReLU";

    /// <inheritdoc />
    public override IReadOnlyList<string> ParameterNames => Names;

    /// <inheritdoc />
    public override int[] ParameterShape(string parameterName) =>
        parameterName == "weight" ? new[] { Slopes } : base.ParameterShape(parameterName);

    /// <inheritdoc />
    public override int[] InferShape(IReadOnlyList<int[]> inputShapes)
    {
        if (inputShapes.Count != 1) throw ShapeError($"expects 1 input, got {inputShapes.Count}.");
        int[] x = inputShapes[0];
        if (x.Length != Rank) throw ShapeError($"expects an input of rank {Rank} but '{Inputs[0]}' has shape {Format(x)}.");
        if (Slopes != 1 && x[0] != Slopes) throw ShapeError($"has {Slopes} slopes but its input '{Inputs[0]}' has {x[0]} channels (shape {Format(x)}).");
        return (int[])x.Clone();
    }

    /// <inheritdoc />
    public override Layer WithInputs(IReadOnlyList<string> inputs) => new PReLULayer(Name, inputs[0], Slopes, Rank);

    internal override nn.Module<Tensor, Tensor> CreateModule() => new PReLUModule(Name, Slopes);

    internal override Tensor Forward(IReadOnlyList<Tensor> inputs, nn.Module<Tensor, Tensor>? module) => module!.call(inputs[0]);

    // PRelu broadcasts its slope from the right: per channel of [N,C,H,W] it is stored [C,1,1].
    internal override string WriteOnnx(OnnxLayerContext onnx)
    {
        long[] dims = Slopes == 1 ? new long[] { 1 } : new long[] { Slopes }.Concat(Enumerable.Repeat(1L, Rank - 1)).ToArray();
        string slope = onnx.Builder.AddFloat($"{Name}.weight", dims, Parameters["weight"].Data);
        return onnx.Node("PRelu", new[] { onnx.Inputs[0], slope });
    }

    // Channel c keeps its slope (a shared slope serves every channel).
    internal override ChannelRule ChannelFlow => ChannelRule.PassThrough;

    internal override Layer Prune(KeptChannels kept)
    {
        if (Slopes == 1 || kept.Output.Length == Slopes) return Clone();
        var pruned = new PReLULayer(Name, Inputs[0], kept.Output.Length, Rank);
        SelectInto(pruned, Names, 0, kept.Output);
        return pruned;
    }
}

/// <summary>The learned slopes ("weight", starting at 0.25 as in PyTorch) of a <see cref="PReLULayer"/>.</summary>
internal sealed class PReLUModule : nn.Module<Tensor, Tensor>
{
    private readonly Parameter _weight;

    public PReLUModule(string name, int slopes) : base($"{name}_prelu")
    {
        _weight = new Parameter(torch.tensor(Enumerable.Repeat(0.25f, slopes).ToArray()));
        register_parameter("weight", _weight);
    }

    // relu(x) - a * relu(-x), the slopes lined up with the channel axis (1) of [N,C,...]; no Scalar temporaries.
    public override Tensor forward(Tensor input)
    {
        long[] view = Enumerable.Repeat(1L, (int)input.dim()).ToArray();
        view[1] = _weight.shape[0];
        return input.relu() - _weight.view(view) * input.neg().relu();
    }
}
