namespace Microsoft.ML.Compression.Graph;

/// <summary>
/// The network IR that every algorithm reads and rewrites: layers in topological order, fed by one input (an image
/// [C,H,W], an image in another layout such as [H,W,C], or a vector [F]); the last layer's [K] output holds the class
/// logits. The feature column that feeds the network is the input flattened in its own layout.
/// </summary>
public sealed class NetworkGraph
{
    /// <summary>The name layers use to read the graph input.</summary>
    public const string InputName = "input";

    private readonly Layer[] _layers;
    private readonly Dictionary<string, int[]> _shapes;

    /// <summary>Creates a graph and validates it (names, wiring, shapes).</summary>
    /// <param name="name">The network's name.</param>
    /// <param name="inputShape">The input's shape without the batch, as the first layers read it.</param>
    /// <param name="layers">The layers in topological order; the last one produces the logits.</param>
    /// <param name="inputContract">For an imported network, the input as the original file declared it (kept by exported models); null writes [N, features].</param>
    public NetworkGraph(string name, int[] inputShape, IEnumerable<Layer> layers, InputContract? inputContract = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(inputShape);
        ArgumentNullException.ThrowIfNull(layers);
        if (inputShape.Length is < 1 or > 3 || inputShape.Any(d => d <= 0))
            throw new ArgumentException($"Network '{name}' needs an input shape of 1 to 3 positive sizes without the batch ([C,H,W], [H,W,C] or [F]), got {Layer.Format(inputShape)}.", nameof(inputShape));
        Name = name;
        InputShape = (int[])inputShape.Clone();
        if (inputContract is not null && inputContract.Size != InputShape.Aggregate(1L, (a, d) => a * d))
            throw new ArgumentException($"Network '{name}': the input contract {inputContract} does not hold the {Layer.Format(InputShape)} input's values.", nameof(inputContract));
        InputContract = inputContract;
        _layers = layers.ToArray();
        if (_layers.Length == 0)
            throw new ArgumentException($"Network '{name}' has no layers.", nameof(layers));
        _shapes = InferShapes();
        int[] output = _shapes[_layers[^1].Name];
        if (output.Length != 1)
            throw new InvalidOperationException(
                $"Network '{name}' must end in a [classes] vector, but its last layer '{_layers[^1].Name}' produces {Layer.Format(output)}.");
    }

    /// <summary>Name of the network (e.g. "lenet5").</summary>
    public string Name { get; }

    /// <summary>Input shape without the batch dimension ([C,H,W] for the networks the library builds).</summary>
    public int[] InputShape { get; }

    /// <summary>The input as an imported file declared it (batch dimension and layout), which exported models keep; null for networks built here.</summary>
    public InputContract? InputContract { get; }

    /// <summary>Number of input features when the input is flattened (C*H*W for an image).</summary>
    public int InputSize => InputShape.Aggregate(1, (a, d) => checked(a * d));

    /// <summary>The layers in topological order.</summary>
    public IReadOnlyList<Layer> Layers => _layers;

    /// <summary>The layer producing the logits.</summary>
    public Layer OutputLayer => _layers[^1];

    /// <summary>Number of classes (size of the output vector).</summary>
    public int ClassCount => _shapes[OutputLayer.Name][0];

    /// <summary>True when every parameter of every layer is set.</summary>
    public bool HasWeights => FirstMissingParameter() is null;

    /// <summary>The first layer (in graph order) with a parameter that is not set, and that parameter; null when all are set.</summary>
    internal (Layer Layer, string Parameter)? FirstMissingParameter()
    {
        foreach (Layer layer in _layers)
            foreach (string p in layer.ParameterNames)
                if (!layer.Parameters.ContainsKey(p)) return (layer, p);
        return null;
    }

    /// <summary>Output shape of a layer (or of <see cref="InputName"/>).</summary>
    public int[] ShapeOf(string layerName) =>
        _shapes.TryGetValue(layerName, out var s) ? (int[])s.Clone()
        : throw new ArgumentException($"Network '{Name}' has no layer named '{layerName}'.", nameof(layerName));

    /// <summary>The layer with the given name.</summary>
    public Layer this[string layerName] =>
        _layers.FirstOrDefault(l => l.Name == layerName) ?? throw new ArgumentException($"Network '{Name}' has no layer named '{layerName}'.", nameof(layerName));

    /// <summary>Input shapes of a layer, in the order of its inputs.</summary>
    public IReadOnlyList<int[]> InputShapesOf(Layer layer) => layer.Inputs.Select(ShapeOf).ToArray();

    /// <summary>Layers that read the output of <paramref name="layerName"/>.</summary>
    public IEnumerable<Layer> ConsumersOf(string layerName) => _layers.Where(l => l.Inputs.Contains(layerName));

    /// <summary>Total number of parameters (weights and biases; BatchNorm running statistics excluded).</summary>
    public long ParameterCount => _layers.Sum(l => l.ParameterCount);

    /// <summary>Multiply-accumulate operations for one sample.</summary>
    public long Macs => _layers.Sum(l => l.Macs(InputShapesOf(l), _shapes[l.Name]));

    /// <summary>A deep copy (parameters included).</summary>
    public NetworkGraph Clone() => new(Name, InputShape, _layers.Select(l => l.Clone()), InputContract);

    /// <summary>A copy without any parameters (to train from scratch).</summary>
    public NetworkGraph WithoutWeights() => new(Name, InputShape, _layers.Select(l => l.WithInputs(l.Inputs)), InputContract);

    /// <summary>A graph of the same name, input and input contract with other <paramref name="layers"/> (a rewrite of this one).</summary>
    public NetworkGraph WithLayers(IEnumerable<Layer> layers) => new(Name, InputShape, layers, InputContract);

    private Dictionary<string, int[]> InferShapes()
    {
        var shapes = new Dictionary<string, int[]> { [InputName] = InputShape };
        foreach (Layer layer in _layers)
        {
            if (shapes.ContainsKey(layer.Name))
                throw new InvalidOperationException($"Network '{Name}' has two layers named '{layer.Name}' (or a layer named '{InputName}').");
            var inputs = new List<int[]>();
            foreach (string input in layer.Inputs)
            {
                if (!shapes.TryGetValue(input, out var shape))
                    throw new InvalidOperationException(
                        $"Layer '{layer.Name}' ({layer.Kind}) reads '{input}', which is not the graph input or an earlier layer.");
                inputs.Add(shape);
            }
            shapes[layer.Name] = layer.InferShape(inputs);
        }
        return shapes;
    }

    /// <summary>
    /// Reads a trained classifier from the ONNX file <paramref name="path"/> (exported by PyTorch, Keras/TensorFlow,
    /// this library or others) into a network with its weights set, ready to be a compression method's starting point.
    /// A final Softmax is dropped: the network ends at the logits. Delegates to
    /// <see cref="Onnx.Import.OnnxImporter"/>; <see cref="Onnx.Import.OnnxImport.Inspect(string)"/> tells beforehand
    /// whether a file can be read.
    /// </summary>
    /// <param name="path">An .onnx file with its weights embedded.</param>
    /// <exception cref="System.IO.FileNotFoundException">There is no such file.</exception>
    /// <exception cref="System.IO.InvalidDataException">The file is not an ONNX model, or the model is malformed; the message names the file.</exception>
    /// <exception cref="NotSupportedException">
    /// The model uses an op or a form the network cannot express; the message names the file, the op type, the node and
    /// the supported op types. Nothing is returned in that case.
    /// </exception>
    public static NetworkGraph FromOnnx(string path) => Onnx.Import.OnnxFile.Import(path);

    /// <summary>Reads a trained classifier from an ONNX model in <paramref name="stream"/> (read to its end, not closed); see <see cref="FromOnnx(string)"/>.</summary>
    /// <exception cref="System.IO.InvalidDataException">The bytes are not an ONNX model, or the model is malformed.</exception>
    /// <exception cref="NotSupportedException">The model uses an op or a form the network cannot express (op type, node and supported op types named).</exception>
    public static NetworkGraph FromOnnx(System.IO.Stream stream) => Onnx.Import.OnnxFile.Import(Onnx.Import.OnnxFile.ReadBytes(stream), "the ONNX stream");
}
