using Microsoft.ML.Compression.Onnx;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Graph;

/// <summary>2-D convolution over a <see cref="Window2d"/> (any kernel, stride, dilation and padding); <see cref="Groups"/> = channels makes it depthwise.</summary>
public sealed class Conv2dLayer : Layer, IWeightedLayer
{
    private static readonly string[] WithBiasNames = { "weight", "bias" }, WeightOnly = { "weight" };

    /// <summary>Creates a convolution with a square kernel, one stride and the same padding on every side.</summary>
    public Conv2dLayer(string name, string input, int inChannels, int outChannels, int kernelSize,
        int stride = 1, int padding = 0, int groups = 1, bool bias = true)
        : this(name, input, inChannels, outChannels, SquareWindow(name, kernelSize, stride, padding), groups, bias) { }

    /// <summary>Creates a convolution over any window (rectangular kernel, per-axis strides and dilations, asymmetric pads).</summary>
    public Conv2dLayer(string name, string input, int inChannels, int outChannels, Window2d window, int groups = 1, bool bias = true)
        : base(name, new[] { input })
    {
        ArgumentNullException.ThrowIfNull(window);
        if (inChannels <= 0) throw new ArgumentOutOfRangeException(nameof(inChannels), inChannels, $"Conv2d '{name}' needs inChannels > 0.");
        if (outChannels <= 0) throw new ArgumentOutOfRangeException(nameof(outChannels), outChannels, $"Conv2d '{name}' needs outChannels > 0.");
        if (window.CeilMode) throw new ArgumentException($"Conv2d '{name}': ceil mode is a pooling option.", nameof(window));
        if (groups <= 0 || inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentOutOfRangeException(nameof(groups), groups,
                $"Conv2d '{name}': groups must divide both inChannels ({inChannels}) and outChannels ({outChannels}).");
        InChannels = inChannels;
        OutChannels = outChannels;
        Window = window;
        Groups = groups;
        HasBias = bias;
    }

    private static Window2d SquareWindow(string name, int kernelSize, int stride, int padding)
    {
        if (kernelSize <= 0) throw new ArgumentOutOfRangeException(nameof(kernelSize), kernelSize, $"Conv2d '{name}' needs kernelSize > 0.");
        if (stride <= 0) throw new ArgumentOutOfRangeException(nameof(stride), stride, $"Conv2d '{name}' needs stride > 0.");
        if (padding < 0) throw new ArgumentOutOfRangeException(nameof(padding), padding, $"Conv2d '{name}' needs padding >= 0.");
        return Window2d.Square(kernelSize, stride, padding);
    }

    /// <summary>Input channels.</summary>
    public int InChannels { get; }
    /// <summary>Output channels (filters).</summary>
    public int OutChannels { get; }
    /// <summary>Kernel, strides, dilations and zero padding.</summary>
    public Window2d Window { get; }
    /// <summary>Channel groups (1 = dense, InChannels = depthwise).</summary>
    public int Groups { get; }
    /// <summary>Whether the convolution adds a bias.</summary>
    public bool HasBias { get; }

    /// <summary>True when every filter reads and writes one channel (groups = input = output channels).</summary>
    public bool IsDepthwise => Groups > 1 && Groups == InChannels && OutChannels == InChannels;

    /// <inheritdoc />
    public override string Kind => "Conv2d";

    /// <inheritdoc />
    public override IReadOnlyList<string> ParameterNames => HasBias ? WithBiasNames : WeightOnly;

    /// <inheritdoc />
    public override int[] ParameterShape(string parameterName) => parameterName switch
    {
        "weight" => new[] { OutChannels, InChannels / Groups, Window.KernelHeight, Window.KernelWidth },
        "bias" when HasBias => new[] { OutChannels },
        _ => base.ParameterShape(parameterName),
    };

    /// <inheritdoc />
    public override int[] InferShape(IReadOnlyList<int[]> inputShapes)
    {
        int[] x = SingleFeatureMap(inputShapes);
        if (x[0] != InChannels)
            throw ShapeError($"expects {InChannels} input channels but its input '{Inputs[0]}' has {x[0]} (shape {Format(x)}).");
        var (h, w) = Window.TryOutput(x[1], x[2]) ?? throw ShapeError($"the window {Window} does not fit the input {Format(x)}.");
        return new[] { OutChannels, h, w };
    }

    /// <inheritdoc />
    public override long Macs(IReadOnlyList<int[]> inputShapes, int[] outputShape) =>
        (long)outputShape[0] * outputShape[1] * outputShape[2] * (InChannels / Groups) * Window.KernelArea;

    /// <inheritdoc />
    public override Layer WithInputs(IReadOnlyList<string> inputs) =>
        new Conv2dLayer(Name, inputs[0], InChannels, OutChannels, Window, Groups, HasBias);

    internal override nn.Module<Tensor, Tensor> CreateModule() =>
        // The module holds the parameters; Forward runs ConvolutionKernel (which also pads asymmetric windows), but the
        // module alone computes the same for symmetric ones.
        nn.Conv2d(InChannels, OutChannels, (Window.KernelHeight, Window.KernelWidth), stride: (Window.StrideHeight, Window.StrideWidth),
            padding: (Window.PadTop, Window.PadLeft), dilation: (Window.DilationHeight, Window.DilationWidth), groups: Groups, bias: HasBias);

    internal override Tensor Forward(IReadOnlyList<Tensor> inputs, nn.Module<Tensor, Tensor>? module)
    {
        var conv = (Conv2d)module!;
        return ConvolutionKernel.Conv2d(inputs[0], conv.weight!, conv.bias, this);
    }

    internal override string WriteOnnx(OnnxLayerContext onnx)
    {
        var attributes = Groups == 1 ? Window.OnnxAttributes(convolution: true) : Window.OnnxAttributes(convolution: true).Append(OnnxAttributes.Int("group", Groups));
        return onnx.Node("Conv", onnx.InputAndParameters(), attributes.ToArray());
    }

    // A depthwise filter goes with the channel it reads; other grouped convolutions tie channels across groups.
    internal override ChannelRule ChannelFlow => Groups == 1 ? ChannelRule.Produces : IsDepthwise ? ChannelRule.PassThrough : ChannelRule.Blocks;

    internal override string BlockReason => $"'{Name}', a grouped convolution ({Groups} groups) that is not depthwise";

    internal override Layer Prune(KeptChannels kept)
    {
        int groups = IsDepthwise ? kept.Input.Length : Groups;
        var pruned = new Conv2dLayer(Name, Inputs[0], kept.Input.Length, kept.Output.Length, Window, groups, HasBias);
        if (Parameters.TryGetValue("weight", out var weight))
        {
            weight = weight.Select(0, kept.Output);
            pruned.SetParameter("weight", Groups == 1 ? weight.Select(1, kept.Input) : weight);
        }
        SelectInto(pruned, new[] { "bias" }, 0, kept.Output);
        return pruned;
    }

    internal override int? PrunableWidth => OutChannels;

    int IWeightedLayer.OutputChannels => OutChannels;

    Tensor IWeightedLayer.Apply(Tensor x, Tensor weight, Tensor? bias) => ConvolutionKernel.Conv2d(x, weight, bias, this);

    (Tensor Weight, Tensor? Bias) IWeightedLayer.TensorsOf(nn.Module<Tensor, Tensor> module)
    {
        var conv = (Conv2d)module;
        return (conv.weight!, conv.bias);
    }

    Layer IWeightedLayer.WithBias() => new Conv2dLayer(Name, Inputs[0], InChannels, OutChannels, Window, Groups, bias: true);
}
