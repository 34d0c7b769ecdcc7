using Microsoft.ML.Compression.Graph;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Pruning;

/// <summary>
/// Soft pruning: zeroes removed channels in a <see cref="GraphModule"/> without changing its shapes, by multiplying
/// every feature map that carries them with a 0/1 channel mask. Masked channels are exactly zero wherever they are
/// read, so the module computes what <see cref="ChannelPruner.Prune"/>'s smaller network computes, and their
/// weights get no gradient from the data.
/// </summary>
public static class ChannelMasks
{
    /// <summary>Masks the coupled channels in <paramref name="removed"/> in <paramref name="module"/> (built from <paramref name="dependencies"/>' network).</summary>
    public static void Apply(GraphModule module, ChannelDependencies dependencies, IReadOnlySet<int> removed)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(dependencies);
        dependencies.Validate(removed);
        foreach (Layer layer in dependencies.Graph.Layers)
        {
            int[] shape = dependencies.Graph.ShapeOf(layer.Name);
            int rank = shape.Length;
            // A flattened map is masked already, upstream; a vector of Linear units is masked unit by unit.
            if (dependencies.TensorOf(layer.Name) is not { } channels || (rank == 1 && (channels.Block != 1 || channels.Ids.Length != shape[0]))) continue;
            float[] mask = channels.Ids.Select(id => id >= 0 && removed.Contains(id) ? 0f : 1f).ToArray();
            if (mask.All(m => m == 1f)) continue;
            module.SetOutputModule(layer.Name, new ChannelMaskModule(layer.Name, mask, rank, channels.Axis));
        }
    }
}

/// <summary>Multiplies a feature map ([N,C,H,W], or channels along another axis) by a fixed 0/1 mask over its channels.</summary>
internal sealed class ChannelMaskModule : nn.Module<Tensor, Tensor>
{
    private readonly Tensor _mask;

    public ChannelMaskModule(string layer, float[] mask, int rank, int axis) : base($"{layer}_mask")
    {
        long[] shape = Enumerable.Repeat(1L, rank + 1).ToArray();
        shape[axis + 1] = mask.Length;
        _mask = torch.tensor(mask).reshape(shape);
        register_buffer("mask", _mask);
    }

    public override Tensor forward(Tensor input) => input * _mask;
}
