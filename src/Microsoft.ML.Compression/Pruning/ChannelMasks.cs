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
            if (dependencies.Graph.ShapeOf(layer.Name).Length != 3 || dependencies.ChannelIdsOf(layer.Name) is not int[] ids) continue;
            float[] mask = ids.Select(id => id >= 0 && removed.Contains(id) ? 0f : 1f).ToArray();
            if (mask.All(m => m == 1f)) continue;
            module.SetOutputModule(layer.Name, new ChannelMaskModule(layer.Name, mask));
        }
    }
}

/// <summary>Multiplies a [N,C,H,W] feature map by a fixed 0/1 mask over its channels.</summary>
internal sealed class ChannelMaskModule : nn.Module<Tensor, Tensor>
{
    private readonly Tensor _mask;

    public ChannelMaskModule(string layer, float[] mask) : base($"{layer}_mask")
    {
        _mask = torch.tensor(mask).reshape(1, mask.Length, 1, 1);
        register_buffer("mask", _mask);
    }

    public override Tensor forward(Tensor input) => input * _mask;
}
