using Microsoft.ML.Compression.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Graph;

/// <summary>
/// A node of the network IR. Shapes exclude the batch dimension: [C, H, W] for feature maps, [F] for vectors.
/// Parameters use PyTorch's names and layouts ("weight", "bias", "running_mean", "running_var").
/// </summary>
/// <remarks>
/// Each layer kind is one class (one file under <c>Graph/Layers</c>) holding everything the library needs to know
/// about it: shape inference, parameter shapes and counts, MACs, its TorchSharp computation, its ONNX nodes, how
/// structured pruning traces channels through it and shrinks it, and how int8 quantization treats it. Those members
/// are abstract or have a safe default, so a kind that misses one does not compile.
/// </remarks>
public abstract class Layer
{
    private readonly Dictionary<string, ParameterTensor> _parameters = new();

    /// <summary>Creates a layer fed by the named producers (<see cref="NetworkGraph.InputName"/> for the graph input).</summary>
    protected Layer(string name, IReadOnlyList<string> inputs)
    {
        if (string.IsNullOrWhiteSpace(name))
            throw new ArgumentException("A layer needs a non-empty name.", nameof(name));
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Count == 0)
            throw new ArgumentException($"Layer '{name}' needs at least one input.", nameof(inputs));
        Name = name;
        Inputs = inputs.ToArray();
    }

    /// <summary>Unique name of the layer inside its graph.</summary>
    public string Name { get; }

    /// <summary>Names of the layers (or the graph input) this layer reads.</summary>
    public IReadOnlyList<string> Inputs { get; }

    /// <summary>Short operator name used in reports and error messages, e.g. "Conv2d".</summary>
    public abstract string Kind { get; }

    /// <summary>Names of the parameters the layer owns (empty for parameter-free layers).</summary>
    public virtual IReadOnlyList<string> ParameterNames => Array.Empty<string>();

    /// <summary>The parameter tensors that are set (a freshly built zoo network has none until trained).</summary>
    public IReadOnlyDictionary<string, ParameterTensor> Parameters => _parameters;

    /// <summary>Learned values (weights and biases; BatchNorm running statistics are not learned, so not counted).</summary>
    public long ParameterCount => ParameterNames
        .Where(p => p is not ("running_mean" or "running_var"))
        .Sum(p => ParameterShape(p).Aggregate(1L, (a, d) => a * d));

    /// <summary>Expected shape of each parameter, given the layer's configuration.</summary>
    public virtual int[] ParameterShape(string parameterName) =>
        throw new ArgumentException($"Layer '{Name}' ({Kind}) has no parameter '{parameterName}'.", nameof(parameterName));

    /// <summary>Sets a parameter after checking its shape.</summary>
    public void SetParameter(string parameterName, ParameterTensor value)
    {
        ArgumentNullException.ThrowIfNull(value);
        int[] expected = ParameterShape(parameterName);
        if (!expected.SequenceEqual(value.Shape))
            throw new ArgumentException(
                $"Parameter '{parameterName}' of layer '{Name}' ({Kind}) must have shape [{string.Join(",", expected)}], got [{string.Join(",", value.Shape)}].",
                nameof(value));
        _parameters[parameterName] = value;
    }

    /// <summary>Output shape for the given input shapes; throws <see cref="InvalidOperationException"/> naming the layer on a mismatch.</summary>
    public abstract int[] InferShape(IReadOnlyList<int[]> inputShapes);

    /// <summary>Multiply-accumulate operations for one sample.</summary>
    public virtual long Macs(IReadOnlyList<int[]> inputShapes, int[] outputShape) => 0;

    /// <summary>A copy with the same configuration reading <paramref name="inputs"/>, without parameters.</summary>
    public abstract Layer WithInputs(IReadOnlyList<string> inputs);

    /// <summary>A deep copy including parameters.</summary>
    public Layer Clone() => CopyParametersTo(WithInputs(Inputs));

    /// <summary>Copies (deeply) every parameter that is set into <paramref name="copy"/>, a layer of the same configuration, and returns it.</summary>
    internal Layer CopyParametersTo(Layer copy)
    {
        foreach (var (key, value) in _parameters)
            copy._parameters[key] = value.Clone();
        return copy;
    }

    // ---- TorchSharp ----

    /// <summary>The module holding the layer's parameters or state; null for a layer that <see cref="Forward"/> computes alone.</summary>
    internal virtual nn.Module<Tensor, Tensor>? CreateModule() => null;

    /// <summary>The layer's output for its <paramref name="inputs"/> ([N, ...] each), using <paramref name="module"/> from <see cref="CreateModule"/>.</summary>
    internal abstract Tensor Forward(IReadOnlyList<Tensor> inputs, nn.Module<Tensor, Tensor>? module);

    // ---- ONNX ----

    /// <summary>Writes the layer's nodes and returns the tensor its consumers read (its input, for an identity at inference).</summary>
    internal abstract string WriteOnnx(OnnxLayerContext onnx);

    // ---- Structured pruning ----

    /// <summary>How channels pass through the layer (default: they stop here and are never pruned).</summary>
    internal virtual ChannelRule ChannelFlow => ChannelRule.Blocks;

    /// <summary>Why the layer blocks pruning (for <see cref="ChannelRule.Blocks"/>), shown in pruning reports.</summary>
    internal virtual string BlockReason => $"layer '{Name}' ({Kind}), which pruning does not handle";

    /// <summary>
    /// The layer with only <paramref name="kept"/> input/output channels, parameters sliced to match (those that are
    /// set). Parameter-free layers and layers whose channels pruning never changes are copied.
    /// </summary>
    internal virtual Layer Prune(KeptChannels kept) => Clone();

    /// <summary>The width pruning changes (output channels, or input features of a layer that consumes channels); null when it has none.</summary>
    internal virtual int? PrunableWidth => null;

    // ---- int8 quantization ----

    /// <summary>True when the output takes only values of the input (max pooling, flatten, dropout), so it keeps the input's quantization grid.</summary>
    internal virtual bool KeepsInputGrid => false;

    /// <summary>
    /// True for a layer whose uint8 kernel in ONNX Runtime is far slower than its float one (windowed pooling: NCHW
    /// uint8 kernels against NCHWc float ones). The int8 export then writes the layer's quantize step so that ONNX
    /// Runtime cannot fuse it into the layer, and the layer runs in float between a dequantize and a quantize with the
    /// very same codes: a layer that keeps its input's grid (max pooling) gets a scale one float step above its input's,
    /// any other (average pooling) has its output doubled and quantized with twice its scale. Max pooling is left alone
    /// after integer layers, where ONNX Runtime runs its uint8 form fast (NHWC).
    /// </summary>
    internal virtual bool IntegerKernelIsSlow => false;

    /// <summary>True for clamping activations (ReLU, ReLU6) that ONNX Runtime folds into the quantized operator before them.</summary>
    internal virtual bool FoldsIntoQuantizedProducer => false;

    /// <summary>Throws an exception naming this layer.</summary>
    protected InvalidOperationException ShapeError(string message) => new($"Layer '{Name}' ({Kind}): {message}");

    /// <summary>Requires a single input of rank 3 ([C,H,W]) and returns it.</summary>
    protected int[] SingleFeatureMap(IReadOnlyList<int[]> inputShapes)
    {
        if (inputShapes.Count != 1)
            throw ShapeError($"expects 1 input, got {inputShapes.Count}.");
        if (inputShapes[0].Length != 3)
            throw ShapeError($"expects a [C,H,W] feature map, got {Format(inputShapes[0])}.");
        return inputShapes[0];
    }

    /// <summary>Formats a shape as [a,b,c].</summary>
    public static string Format(int[] shape) => "[" + string.Join(",", shape) + "]";

    /// <summary>Output size of a sliding window along one axis.</summary>
    protected int SlidingOutput(int size, int kernel, int stride, int padding, string axis)
    {
        int output = (size + 2 * padding - kernel) / stride + 1;
        if (size + 2 * padding < kernel || output <= 0)
            throw ShapeError($"kernel {kernel} with padding {padding} does not fit the input {axis} {size}.");
        return output;
    }

    /// <summary>Copies the parameters in <paramref name="names"/> that are set, sliced at <paramref name="indices"/> along <paramref name="axis"/>.</summary>
    private protected void SelectInto(Layer target, IEnumerable<string> names, int axis, int[] indices)
    {
        foreach (string p in names)
            if (_parameters.TryGetValue(p, out var value)) target.SetParameter(p, value.Select(axis, indices));
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name} ({Kind}) <- {string.Join(", ", Inputs)}";
}
