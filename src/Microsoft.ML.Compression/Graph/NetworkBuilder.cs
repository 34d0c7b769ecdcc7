namespace Microsoft.ML.Compression.Graph;

/// <summary>
/// Builds a <see cref="NetworkGraph"/> layer by layer. Each method appends a layer and returns its name, which the
/// next call takes as input; channel and feature counts are read from the shapes so far.
/// </summary>
/// <example>
/// <code>
/// var b = new NetworkBuilder("tiny", 1, 28, 28);
/// var x = b.ReLU(b.Conv2d(b.Input, 8, 3, padding: 1));
/// var net = b.Build(b.Linear(b.Flatten(b.GlobalAvgPool(x)), 10));
/// </code>
/// </example>
public sealed class NetworkBuilder
{
    private readonly string _name;
    private readonly int[] _inputShape;
    private readonly List<Layer> _layers = new();
    private readonly Dictionary<string, int[]> _shapes = new();
    private readonly Dictionary<string, int> _counters = new();

    /// <summary>Starts a network for [channels, height, width] inputs.</summary>
    public NetworkBuilder(string name, int channels, int height, int width)
        : this(name, new ImageInput(channels, height, width))
    {
    }

    /// <summary>
    /// Starts a network for <paramref name="input"/>: interleaved pixels are moved to [C,H,W] and normalized by the
    /// network's first layers, so <see cref="Input"/> is already the normalized [C,H,W] map.
    /// </summary>
    public NetworkBuilder(string name, ImageInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        input.Validate();
        _name = name;
        _inputShape = input.Shape;
        _shapes[NetworkGraph.InputName] = _inputShape;
        Input = input.AddPrefix(this);
    }

    /// <summary>What the first layer reads: the graph input, or the [C,H,W] map an <see cref="ImageInput"/>'s layout and normalization layers make of it.</summary>
    public string Input { get; }

    /// <summary>Channels, height and width of <see cref="Input"/>.</summary>
    public int[] InputShape => ShapeOf(Input);

    /// <summary>Shape of a layer added so far.</summary>
    public int[] ShapeOf(string layer) => _shapes[layer];

    /// <summary>Appends any layer (its shape is checked now).</summary>
    public string Add(Layer layer)
    {
        var inputs = new List<int[]>();
        foreach (string input in layer.Inputs)
        {
            if (!_shapes.TryGetValue(input, out var s))
                throw new System.InvalidOperationException($"Layer '{layer.Name}' reads unknown layer '{input}'.");
            inputs.Add(s);
        }
        if (_shapes.ContainsKey(layer.Name))
            throw new System.InvalidOperationException($"Network '{_name}' already has a layer named '{layer.Name}'.");
        _shapes[layer.Name] = layer.InferShape(inputs);
        _layers.Add(layer);
        return layer.Name;
    }

    /// <summary>Appends a convolution reading <paramref name="input"/>.</summary>
    public string Conv2d(string input, int outChannels, int kernelSize, int stride = 1, int padding = 0, int groups = 1, bool bias = true, string? name = null) =>
        Add(new Conv2dLayer(name ?? Next("conv"), input, _shapes[input][0], outChannels, kernelSize, stride, padding, groups, bias));

    /// <summary>Appends batch normalization.</summary>
    public string BatchNorm2d(string input, string? name = null) => Add(new BatchNorm2dLayer(name ?? Next("bn"), input, _shapes[input][0]));

    /// <summary>Appends a fully connected layer.</summary>
    public string Linear(string input, int outFeatures, bool bias = true, string? name = null) =>
        Add(new LinearLayer(name ?? Next("fc"), input, _shapes[input][0], outFeatures, bias));

    /// <summary>Appends ReLU.</summary>
    public string ReLU(string input, string? name = null) => Add(new ReLULayer(name ?? Next("relu"), input));

    /// <summary>Appends ReLU6.</summary>
    public string ReLU6(string input, string? name = null) => Add(new ReLU6Layer(name ?? Next("relu6_"), input));

    /// <summary>Appends LeakyReLU with negative slope <paramref name="alpha"/>.</summary>
    public string LeakyReLU(string input, double alpha = 0.01, string? name = null) => Add(new LeakyReLULayer(name ?? Next("leaky_relu"), input, alpha));

    /// <summary>Appends a sigmoid.</summary>
    public string Sigmoid(string input, string? name = null) => Add(new SigmoidLayer(name ?? Next("sigmoid"), input));

    /// <summary>Appends max(0, min(1, alpha * x + beta)); PyTorch's Hardsigmoid is alpha 1/6 (<see cref="HardSigmoidLayer.TorchAlpha"/>).</summary>
    public string HardSigmoid(string input, double alpha = 0.2, double beta = 0.5, string? name = null) =>
        Add(new HardSigmoidLayer(name ?? Next("hard_sigmoid"), input, alpha, beta));

    /// <summary>Appends HardSwish.</summary>
    public string HardSwish(string input, string? name = null) => Add(new HardSwishLayer(name ?? Next("hard_swish"), input));

    /// <summary>Appends a per-channel (or per-feature) scale and shift; set its "weight" and "bias" or train them.</summary>
    public string ScaleShift(string input, string? name = null) =>
        Add(new ScaleShiftLayer(name ?? Next("scale_shift"), input, _shapes[input][0], _shapes[input].Length));

    /// <summary>Appends padding of the height and width, each side by its own amount.</summary>
    public string Pad(string input, int top, int left, int bottom, int right, float value = 0, PadMode mode = PadMode.Constant, string? name = null) =>
        Add(new PadLayer(name ?? Next("pad"), input, top, left, bottom, right, value, mode));

    /// <summary>Appends max pooling.</summary>
    public string MaxPool2d(string input, int kernelSize, int? stride = null, int padding = 0, string? name = null) =>
        Add(new MaxPool2dLayer(name ?? Next("maxpool"), input, kernelSize, stride, padding));

    /// <summary>Appends average pooling.</summary>
    public string AvgPool2d(string input, int kernelSize, int? stride = null, int padding = 0, string? name = null) =>
        Add(new AvgPool2dLayer(name ?? Next("avgpool"), input, kernelSize, stride, padding));

    /// <summary>Appends global average pooling.</summary>
    public string GlobalAvgPool(string input, string? name = null) => Add(new GlobalAvgPoolLayer(name ?? Next("gap"), input));

    /// <summary>Appends a flatten.</summary>
    public string Flatten(string input, string? name = null) => Add(new FlattenLayer(name ?? Next("flatten"), input));

    /// <summary>Appends dropout.</summary>
    public string Dropout(string input, double probability, string? name = null) => Add(new DropoutLayer(name ?? Next("dropout"), input, probability));

    /// <summary>Appends an element-wise sum.</summary>
    public string Add(string a, string b, string? name = null) => Add(new AddLayer(name ?? Next("add"), new[] { a, b }));

    /// <summary>Appends an element-wise product of two maps of one shape, or of a [C,H,W] map and a [C,1,1] gate.</summary>
    public string Mul(string a, string b, string? name = null) => Add(new MulLayer(name ?? Next("mul"), a, b));

    /// <summary>Appends a channel concatenation.</summary>
    public string Concat(IReadOnlyList<string> inputs, string? name = null) => Add(new ConcatLayer(name ?? Next("concat"), inputs));

    /// <summary>Finishes the network; <paramref name="output"/> must be the last layer added and produce [classes].</summary>
    public NetworkGraph Build(string output)
    {
        if (_layers.Count == 0 || _layers[^1].Name != output)
            throw new System.InvalidOperationException($"Network '{_name}': the output '{output}' must be the last layer added.");
        return new NetworkGraph(_name, _inputShape, _layers);
    }

    private string Next(string prefix)
    {
        _counters.TryGetValue(prefix, out int n);
        _counters[prefix] = ++n;
        return prefix + n;
    }
}
