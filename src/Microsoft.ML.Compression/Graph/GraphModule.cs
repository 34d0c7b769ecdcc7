using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Graph;

/// <summary>
/// A trainable TorchSharp module built from a <see cref="NetworkGraph"/>: one submodule per layer, registered under
/// the layer's name, evaluated in the graph's order. Input: [N, C*H*W] or [N, C, H, W] floats; output: logits [N, K].
/// </summary>
/// <remarks>
/// Layers whose parameters are set in the graph start from those values; others keep TorchSharp's default
/// initialisation (seed it with <c>torch.random.manual_seed</c> for reproducible runs).
/// Algorithms replace a layer's computation through <see cref="ReplaceLayerModule"/> (e.g. a fake-quantized
/// convolution) without touching the graph walk.
/// </remarks>
public sealed class GraphModule : nn.Module<Tensor, Tensor>
{
    private readonly NetworkGraph _graph;
    private readonly Dictionary<string, nn.Module<Tensor, Tensor>> _own = new(); // from Layer.CreateModule
    private readonly Dictionary<string, nn.Module<Tensor, Tensor>> _modules = new(); // current: own or replaced
    private readonly Dictionary<string, int> _lastUse = new();
    private readonly Dictionary<string, nn.Module<Tensor, Tensor>> _outputModules = new();

    /// <summary>Builds the module for <paramref name="graph"/>.</summary>
    public GraphModule(NetworkGraph graph) : base(graph.Name.Replace('.', '_'))
    {
        ArgumentNullException.ThrowIfNull(graph);
        _graph = graph;
        for (int i = 0; i < graph.Layers.Count; i++)
        {
            Layer layer = graph.Layers[i];
            foreach (string input in layer.Inputs)
                _lastUse[input] = i;
            nn.Module<Tensor, Tensor>? module = layer.CreateModule();
            if (module is null) continue;
            LoadParameters(layer, module);
            _own[layer.Name] = module;
            _modules[layer.Name] = module;
            register_module(ModuleName(layer.Name), module);
        }
    }

    /// <summary>The graph this module was built from (its parameters are not kept in sync; see <see cref="ToGraph"/>).</summary>
    public NetworkGraph Graph => _graph;

    /// <summary>The TorchSharp module computing a layer: its own or a replacement; null for a parameter-free layer.</summary>
    public nn.Module<Tensor, Tensor>? ModuleOf(string layerName) => _modules.GetValueOrDefault(layerName);

    /// <summary>Replaces the computation of a single-input layer, e.g. with a wrapper that fake-quantizes it.</summary>
    public void ReplaceLayerModule(string layerName, nn.Module<Tensor, Tensor> module)
    {
        ArgumentNullException.ThrowIfNull(module);
        if (!_modules.ContainsKey(layerName))
            throw new ArgumentException($"Layer '{layerName}' of network '{_graph.Name}' has no replaceable module.", nameof(layerName));
        _modules[layerName] = module;
        Reregister(ModuleName(layerName), module);
    }

    /// <summary>
    /// Applies <paramref name="module"/> to the output of a layer (or to the image, for <see cref="NetworkGraph.InputName"/>)
    /// before its consumers read it, e.g. an activation fake-quantizer; replaces an earlier one.
    /// </summary>
    public void SetOutputModule(string tensorName, nn.Module<Tensor, Tensor> module)
    {
        ArgumentNullException.ThrowIfNull(module);
        if (tensorName != NetworkGraph.InputName && !_graph.Layers.Any(l => l.Name == tensorName))
            throw new ArgumentException($"Network '{_graph.Name}' has no layer '{tensorName}'.", nameof(tensorName));
        _outputModules[tensorName] = module;
        Reregister(ModuleName(tensorName) + "__output", module);
    }

    /// <summary>The module applied to a layer's output (see <see cref="SetOutputModule"/>), or null.</summary>
    public nn.Module<Tensor, Tensor>? OutputModuleOf(string tensorName) => _outputModules.GetValueOrDefault(tensorName);

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        int[] s = _graph.InputShape;
        bool flat = input.dim() == 2 && input.shape[1] == _graph.InputSize;
        bool shaped = input.dim() == s.Length + 1 && Enumerable.Range(0, s.Length).All(i => input.shape[i + 1] == s[i]);
        if (!flat && !shaped)
            throw new ArgumentException($"Network '{_graph.Name}' expects [N,{_graph.InputSize}] or [N,{string.Join(",", s)}] input, got [{string.Join(",", input.shape)}].");
        Tensor x = shaped ? input : input.reshape(s.Select(d => (long)d).Prepend(-1L).ToArray());

        bool channelsLast = false;
        var values = new Dictionary<string, Tensor> { [NetworkGraph.InputName] = ToChannelsLast(ApplyOutputModule(NetworkGraph.InputName, x), ref channelsLast) };
        IReadOnlyList<Layer> layers = _graph.Layers;
        for (int i = 0; i < layers.Count; i++)
        {
            Layer layer = layers[i];
            _modules.TryGetValue(layer.Name, out var module);
            values[layer.Name] = module is not null && !ReferenceEquals(module, _own[layer.Name])
                ? module.call(values[layer.Inputs[0]]) // a replacement computes the layer from its single input
                : layer.Forward(layer.Inputs.Select(n => values[n]).ToArray(), module);
            if (_outputModules.Count > 0) values[layer.Name] = ApplyOutputModule(layer.Name, values[layer.Name]);
            if (!channelsLast) values[layer.Name] = ToChannelsLast(values[layer.Name], ref channelsLast);
            // Let intermediate activations go as soon as their last reader ran (the caller's dispose scope frees them).
            foreach (string name in layer.Inputs)
                if (_lastUse[name] == i && name != NetworkGraph.InputName) values.Remove(name);
        }
        return values[_graph.OutputLayer.Name];
    }

    /// <summary>
    /// Forward stores the first feature map with at least this many channels channels-last (NHWC memory, the same
    /// NCHW shape and values): libtorch's CPU convolutions run faster in that layout (a ResNet-20 training step about
    /// a fifth faster here), and the convolutions, BatchNorms, activations and Adds after it keep it, so the copy is
    /// made once per batch. Narrower maps stay NCHW: LeNet-5's 6-channel layers trained slower channels-last.
    /// </summary>
    private const int ChannelsLastFrom = 16;

    private static Tensor ToChannelsLast(Tensor value, ref bool done)
    {
        if (value.dim() != 4 || value.shape[1] < ChannelsLastFrom) return value;
        done = true;
        return ConvolutionKernel.ToChannelsLast(value);
    }

    private Tensor ApplyOutputModule(string name, Tensor value) =>
        _outputModules.TryGetValue(name, out var module) ? module.call(value) : value;

    /// <summary>
    /// A copy of the graph holding the current parameters and BatchNorm statistics of the layers' own modules (a
    /// replacement, e.g. a fake-quantized convolution, trains the module it wraps).
    /// </summary>
    public NetworkGraph ToGraph()
    {
        NetworkGraph copy = _graph.WithoutWeights();
        foreach (Layer layer in copy.Layers)
            if (_own.TryGetValue(layer.Name, out var module))
                StoreParameters(module, layer);
        return copy;
    }

    private static void LoadParameters(Layer layer, nn.Module<Tensor, Tensor> module)
    {
        using var _ = torch.no_grad();
        foreach (string name in layer.ParameterNames)
        {
            if (!layer.Parameters.TryGetValue(name, out var value)) continue;
            using Tensor source = torch.tensor(value.Data, value.Shape.Select(d => (long)d).ToArray());
            Find(module, name, layer).copy_(source);
        }
    }

    private static void StoreParameters(nn.Module<Tensor, Tensor> module, Layer layer)
    {
        foreach (string name in layer.ParameterNames)
        {
            float[] data = Find(module, name, layer).detach().cpu().contiguous().data<float>().ToArray();
            layer.SetParameter(name, new ParameterTensor(layer.ParameterShape(name), data));
        }
    }

    private static Tensor Find(nn.Module<Tensor, Tensor> module, string name, Layer layer)
    {
        foreach (var (n, p) in module.named_parameters(recurse: false))
            if (n == name) return p;
        foreach (var (n, b) in module.named_buffers(recurse: false))
            if (n == name) return b;
        throw new InvalidOperationException($"The module of layer '{layer.Name}' ({layer.Kind}) has no tensor '{name}'.");
    }

    // TorchSharp refuses to register a name twice; registering null removes the old entry.
    private void Reregister(string name, nn.Module<Tensor, Tensor> module)
    {
        register_module(name, null!);
        register_module(name, module);
    }

    private static string ModuleName(string layerName) => layerName.Replace('.', '_');
}
