using Microsoft.ML.Compression.Graph;

namespace Microsoft.ML.Compression.Pruning;

/// <summary>
/// Which channels of a <see cref="NetworkGraph"/> structured pruning may remove, and which must go together.
/// </summary>
/// <remarks>
/// Every channel of every feature map is traced back to the convolution filters that produce it. BatchNorm,
/// activations, pooling and dropout keep channels as they are; a depthwise convolution (groups = channels) keeps them
/// too, so its filters go with the channels it reads; Concat places its inputs' channels at their offsets; Flatten
/// turns channel c of a [C,H,W] map into features c*H*W .. (c+1)*H*W-1 of the Linear layer that reads it; an Add
/// couples the channels it sums (see <see cref="ResidualPruning"/>). Channels that are never pruned: the image's, the
/// logits', those of other grouped convolutions, those produced by layers named in the exclusion list, and those a
/// layer of unknown kind reads or writes.
/// </remarks>
public sealed class ChannelDependencies
{
    private readonly Dictionary<string, TensorChannels> _tensors = new();
    private readonly CoupledChannel[] _channels;
    private readonly Dictionary<string, string> _skipped = new();

    /// <summary>
    /// The channels of one tensor: the coupled channel at each position (-1: never pruned) along <paramref name="Axis"/>;
    /// after a Flatten, feature f belongs to channel (f / Block) % Ids.Length.
    /// </summary>
    internal sealed record TensorChannels(int[] Ids, int Block, int Axis);

    /// <summary>A tensor's channel atoms along <paramref name="Axis"/>; for a flattened vector, features per channel run (<paramref name="Block"/>) and runs per channel (<paramref name="Outer"/>).</summary>
    private sealed record Atoms(int[] Ids, int Block = 1, int Axis = 0, int Outer = 1);

    /// <summary>Analyses <paramref name="graph"/>.</summary>
    /// <param name="graph">The network.</param>
    /// <param name="residual">Whether channels summed by a residual Add are pruned together or kept.</param>
    /// <param name="excludedLayers">Convolutions whose output channels must all stay.</param>
    /// <param name="optionName">The option that named <paramref name="excludedLayers"/>, for error messages.</param>
    /// <param name="linearUnits">
    /// Whether the output units of Linear layers (hidden units of an MLP; never the logits) are prunable too, like a
    /// convolution's filters. Off by default: structured pruning removes convolution channels.
    /// </param>
    public ChannelDependencies(NetworkGraph graph, ResidualPruning residual = ResidualPruning.Coupled,
        IReadOnlyCollection<string>? excludedLayers = null, string optionName = "excludedLayers", bool linearUnits = false)
    {
        ArgumentNullException.ThrowIfNull(graph);
        if (!Enum.IsDefined(residual)) throw new ArgumentOutOfRangeException(nameof(residual), residual, "Unknown residual pruning mode.");
        Graph = graph;
        Residual = residual;
        var excluded = new HashSet<string>(excludedLayers ?? Array.Empty<string>());
        _linearUnits = linearUnits;
        foreach (string name in excluded)
            if (graph.Layers.FirstOrDefault(l => l.Name == name) is not { } named || !CreatesChannels(named))
                throw new ArgumentException(
                    $"{optionName} names '{name}', which is not a convolution of network '{graph.Name}' that creates prunable channels. Those layers: {string.Join(", ", graph.Layers.Where(CreatesChannels).Select(l => l.Name))}.",
                    optionName);

        var trace = new ChannelTrace();
        var atoms = new Dictionary<string, Atoms?>
        {
            [NetworkGraph.InputName] = new(trace.NewAtoms(graph.InputShape[0], null, "the input's channels")),
        };
        foreach (Layer layer in graph.Layers)
            atoms[layer.Name] = Trace(graph, layer, RuleOf(layer), atoms, trace, excluded, residual);
        if (atoms[graph.OutputLayer.Name] is { Ids.Length: > 0 } logits)
            trace.Fix(logits.Ids, "the logits' channels");

        _channels = BuildChannels(graph, atoms, trace, out Dictionary<int, int> idOfRoot);
        foreach (var (name, a) in atoms)
            if (a is not null)
                _tensors[name] = new TensorChannels(a.Ids.Select(x => idOfRoot.GetValueOrDefault(trace.Find(x), -1)).ToArray(), a.Block, a.Axis);
        Groups = _channels.GroupBy(c => c.Group).Select(g => new ChannelGroup(g.Key, g.First().Filters.Select(f => f.Layer).Distinct().ToArray(), g.ToArray())).ToArray();
        foreach (var conv in graph.Layers.Where(l => l is IWeightedLayer && atoms[l.Name] is not null))
            if (!_channels.Any(c => c.Filters.Any(f => f.Layer == conv.Name)))
                _skipped[conv.Name] = atoms[conv.Name]!.Ids.Select(trace.ReasonOf).FirstOrDefault(r => r is not null) ?? "no prunable channel";
    }

    private readonly bool _linearUnits;

    /// <summary>True for the layers whose outputs are new prunable channels: dense convolutions, and Linear layers when their units are pruned.</summary>
    private bool CreatesChannels(Layer layer) => RuleOf(layer) == ChannelRule.Produces;

    // With linear units a Linear layer produces prunable outputs, as a dense convolution does.
    private ChannelRule RuleOf(Layer layer) => _linearUnits && layer is LinearLayer ? ChannelRule.Produces : layer.ChannelFlow;

    /// <summary>The analysed network.</summary>
    public NetworkGraph Graph { get; }

    /// <summary>How residual channels are treated.</summary>
    public ResidualPruning Residual { get; }

    /// <summary>The prunable coupled channels, by <see cref="CoupledChannel.Id"/>.</summary>
    public IReadOnlyList<CoupledChannel> Channels => _channels;

    /// <summary>The prunable channels grouped by the convolutions that produce them.</summary>
    public IReadOnlyList<ChannelGroup> Groups { get; }

    /// <summary>Convolutions whose output channels are never pruned, with the reason.</summary>
    public IReadOnlyDictionary<string, string> SkippedLayers => _skipped;

    /// <summary>The coupled channel at each channel position of a layer's output (-1 where it is never pruned); null for tensors without channels (e.g. a Linear output).</summary>
    public int[]? ChannelIdsOf(string tensorName) => _tensors.TryGetValue(tensorName, out var t) ? (int[])t.Ids.Clone() : null;

    internal TensorChannels? TensorOf(string tensorName) => _tensors.GetValueOrDefault(tensorName);

    /// <summary>Positions of <paramref name="tensorName"/>'s channels that stay when <paramref name="removed"/> go.</summary>
    public int[] KeptChannels(string tensorName, IReadOnlySet<int> removed)
    {
        ArgumentNullException.ThrowIfNull(removed);
        int[] shape = Graph.ShapeOf(tensorName);
        // Channels along another axis are only moved by parameter-free layers, which need no positions.
        if (!_tensors.TryGetValue(tensorName, out var t) || t.Axis != 0) return Enumerable.Range(0, shape[0]).ToArray();
        return Enumerable.Range(0, t.Ids.Length).Where(i => t.Ids[i] < 0 || !removed.Contains(t.Ids[i])).ToArray();
    }

    /// <summary>
    /// Throws when <paramref name="removed"/> names an unknown or never-pruned channel, or would leave a layer without
    /// channels; the message names the layer.
    /// </summary>
    public void Validate(IReadOnlySet<int> removed)
    {
        ArgumentNullException.ThrowIfNull(removed);
        foreach (int id in removed)
            if (id < 0 || id >= _channels.Length)
                throw new ArgumentOutOfRangeException(nameof(removed), id, $"Network '{Graph.Name}' has {_channels.Length} prunable coupled channels (ids 0..{_channels.Length - 1}).");
        foreach (var group in Groups)
            if (group.Channels.All(c => removed.Contains(c.Id)))
                throw new InvalidOperationException(
                    $"Pruning would remove all {group.Width} output channels of '{group.Name}' in network '{Graph.Name}'; at least one must stay.");
    }

    /// <summary>
    /// The parameter count after removing <paramref name="removed"/>, counted on the original weight tensors (entries
    /// whose output and input channels both stay), without building the smaller network.
    /// </summary>
    public long PredictedParameterCount(IReadOnlySet<int> removed) =>
        Graph.Layers.Sum(l => l.WithInputs(l.Inputs).Prune(KeptOf(l, removed)).ParameterCount);

    /// <summary>The multiply-accumulates per sample after removing <paramref name="removed"/>, from the layers' shapes alone (no weights are copied).</summary>
    public long PredictedMacs(IReadOnlySet<int> removed) =>
        Graph.WithLayers(Graph.Layers.Select(l => l.WithInputs(l.Inputs).Prune(KeptOf(l, removed)))).Macs;

    /// <summary>What <paramref name="layer"/> keeps when <paramref name="removed"/> go.</summary>
    internal KeptChannels KeptOf(Layer layer, IReadOnlySet<int> removed)
    {
        TensorChannels? input = _tensors.GetValueOrDefault(layer.Inputs[0]);
        bool mapped = input is { Axis: 0 };
        return new(KeptChannels(layer.Inputs[0], removed), KeptChannels(layer.Name, removed),
            mapped ? input!.Block : 1, mapped ? input!.Ids.Length : Graph.ShapeOf(layer.Inputs[0])[0]);
    }

    private static Atoms? Trace(NetworkGraph graph, Layer layer, ChannelRule rule, Dictionary<string, Atoms?> atoms,
        ChannelTrace trace, HashSet<string> excluded, ResidualPruning residual)
    {
        var inputs = layer.Inputs.Select(i => atoms[i]).ToArray();
        int[] output = graph.ShapeOf(layer.Name);
        switch (rule)
        {
            case ChannelRule.Produces:
                if (inputs[0] is { Axis: not 0 } moved) trace.Fix(moved.Ids, $"read by '{layer.Name}' along another axis");
                return new(trace.NewAtoms(output[0], layer.Name, excluded.Contains(layer.Name) ? "excluded by the options" : null));
            case ChannelRule.PassThrough when inputs[0] is { } a && !IsElementwise(graph, layer) && !KeepsChannels(graph, layer, a):
                goto default;
            case ChannelRule.PassThrough when inputs[0] is { Axis: 0 } || (inputs[0] is not null && IsElementwise(graph, layer)):
                return inputs[0];
            case ChannelRule.PassThrough when inputs[0] is null:
                return null;
            case ChannelRule.Flattens:
            {
                if (inputs[0] is not { } a) return null;
                int[] shape = graph.ShapeOf(layer.Inputs[0]);
                if (shape.Length == 1) return a;
                int block = shape.Skip(a.Axis + 1).Aggregate(1, (x, d) => x * d), outer = shape.Take(a.Axis).Aggregate(1, (x, d) => x * d);
                return new(a.Ids, block, 0, outer);
            }
            case ChannelRule.Permutes when layer is TransposeLayer transpose:
                return inputs[0] is { } p ? p with { Axis = Array.IndexOf(transpose.Permutation.ToArray(), p.Axis) } : null;
            case ChannelRule.Couples when inputs.All(i => i is not null && i.Axis == inputs[0]!.Axis && i.Ids.Length == inputs[0]!.Ids.Length):
                for (int k = 1; k < inputs.Length; k++)
                    for (int i = 0; i < inputs[0]!.Ids.Length; i++)
                        trace.Union(inputs[0]!.Ids[i], inputs[k]!.Ids[i]);
                // KeepWidth is about residual sums; a gate (Mul) still prunes its channels with the map it scales.
                if (residual == ResidualPruning.KeepWidth && layer is AddLayer) trace.Fix(inputs[0]!.Ids, $"summed by residual Add '{layer.Name}' (residual widths are kept)");
                return inputs[0];
            case ChannelRule.Concatenates when inputs.All(i => i is { Axis: 0, Outer: 1 } && i.Block == inputs[0]!.Block):
                return new(inputs.SelectMany(i => i!.Ids).ToArray(), inputs[0]!.Block);
            case ChannelRule.Consumes:
                if (inputs[0] is { Axis: not 0 } moved2) trace.Fix(moved2.Ids, $"read by '{layer.Name}' along another axis");
                return null;
            default:
                foreach (var input in inputs)
                    if (input is not null) trace.Fix(input.Ids, $"read by {layer.BlockReason}");
                return output.Length >= 2 ? new(trace.NewAtoms(output[0], null, $"written by {layer.BlockReason}")) : null;
        }
    }

    // Passing channels through needs one channel per position of the output's channel axis: true for maps, and for
    // vectors of units (one feature each); a flattened map's features are not channels, so a layer with per-feature
    // parameters (a ScaleShift of a flattened map) stops pruning.
    private static bool KeepsChannels(NetworkGraph graph, Layer layer, Atoms a)
    {
        int[] input = graph.ShapeOf(layer.Inputs[0]), output = graph.ShapeOf(layer.Name);
        bool units = input.Length > 1 || (a.Block == 1 && a.Outer == 1 && a.Ids.Length == input[0]);
        return units && a.Axis < output.Length && a.Ids.Length == output[a.Axis];
    }

    // A parameter-free layer that keeps its input's shape moves no channel, whichever axis holds them (a ReLU or a
    // dropout after a Flatten lets the map's channels through).
    private static bool IsElementwise(NetworkGraph graph, Layer layer) =>
        layer.ParameterNames.Count == 0 && graph.ShapeOf(layer.Name).SequenceEqual(graph.ShapeOf(layer.Inputs[0]));

    private CoupledChannel[] BuildChannels(NetworkGraph graph, Dictionary<string, Atoms?> atoms, ChannelTrace trace, out Dictionary<int, int> idOfRoot)
    {
        // Filters and BatchNorm channels of each still-prunable root, in graph order.
        var filters = new Dictionary<int, List<LayerChannel>>();
        var norms = new Dictionary<int, List<LayerChannel>>();
        var rootOrder = new List<int>();
        foreach (Layer layer in graph.Layers)
        {
            if (CreatesChannels(layer))
            {
                int[] a = atoms[layer.Name]!.Ids;
                for (int o = 0; o < a.Length; o++)
                {
                    int root = trace.Find(a[o]);
                    if (trace.IsFixed(root)) continue;
                    if (!filters.TryGetValue(root, out var list)) { filters[root] = list = new(); rootOrder.Add(root); }
                    list.Add(new LayerChannel(layer.Name, o));
                }
            }
            else if (layer is IWeightedLayer && layer.ChannelFlow == ChannelRule.PassThrough)
            {
                // A depthwise filter goes with the channel it reads and writes.
                if (atoms[layer.Name] is not { Axis: 0 } channels) continue;
                int[] a = channels.Ids;
                for (int o = 0; o < a.Length; o++)
                    if (filters.TryGetValue(trace.Find(a[o]), out var list)) list.Add(new LayerChannel(layer.Name, o));
            }
            else if (layer is BatchNorm2dLayer bn && atoms[bn.Name] is { Axis: 0 } channels)
            {
                int[] a = channels.Ids;
                for (int c = 0; c < a.Length; c++)
                {
                    int root = trace.Find(a[c]);
                    if (trace.IsFixed(root)) continue;
                    if (!norms.TryGetValue(root, out var list)) norms[root] = list = new();
                    list.Add(new LayerChannel(bn.Name, c));
                }
            }
        }

        idOfRoot = new Dictionary<int, int>();
        var groupOf = new Dictionary<string, int>();
        var result = new List<CoupledChannel>();
        foreach (int root in rootOrder)
        {
            string signature = string.Join("|", filters[root].Select(f => f.Layer));
            if (!groupOf.TryGetValue(signature, out int group)) groupOf[signature] = group = groupOf.Count;
            idOfRoot[root] = result.Count;
            result.Add(new CoupledChannel(result.Count, group, filters[root], norms.GetValueOrDefault(root) ?? new List<LayerChannel>()));
        }
        return result.ToArray();
    }
}
