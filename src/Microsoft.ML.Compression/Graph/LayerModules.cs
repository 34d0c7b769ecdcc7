using System;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Graph;

/// <summary>Maps IR layers to TorchSharp modules and moves parameters between them.</summary>
internal static class LayerModules
{
    /// <summary>The module for a single-input layer; null for layers the graph walk computes itself.</summary>
    public static nn.Module<Tensor, Tensor>? Create(Layer layer) => layer switch
    {
        Conv2dLayer c => nn.Conv2d(c.InChannels, c.OutChannels, c.KernelSize, stride: c.Stride, padding: c.Padding, groups: c.Groups, bias: c.HasBias),
        BatchNorm2dLayer b => nn.BatchNorm2d(b.Channels, eps: b.Epsilon, momentum: b.Momentum),
        LinearLayer l => nn.Linear(l.InFeatures, l.OutFeatures, hasBias: l.HasBias),
        ReLULayer => nn.ReLU(),
        ReLU6Layer => nn.ReLU6(),
        DropoutLayer d => nn.Dropout(d.Probability),
        MaxPool2dLayer m => nn.MaxPool2d(m.KernelSize, m.Stride, m.Padding),
        AvgPool2dLayer a => nn.AvgPool2d(a.KernelSize, a.Stride, a.Padding, count_include_pad: false),
        GlobalAvgPoolLayer => nn.AdaptiveAvgPool2d(1),
        AddLayer or ConcatLayer or FlattenLayer => null,
        _ => throw new NotSupportedException($"Layer '{layer.Name}' of kind {layer.Kind} has no TorchSharp module."),
    };

    /// <summary>Copies the layer's parameters that are set into the module.</summary>
    public static void LoadParameters(Layer layer, nn.Module<Tensor, Tensor> module)
    {
        using var _ = torch.no_grad();
        foreach (string name in layer.ParameterNames)
        {
            if (!layer.Parameters.TryGetValue(name, out var value)) continue;
            Tensor target = Find(module, name, layer);
            using Tensor source = torch.tensor(value.Data, value.Shape.Select(d => (long)d).ToArray());
            target.copy_(source);
        }
    }

    /// <summary>Reads every parameter of the module into the layer.</summary>
    public static void StoreParameters(nn.Module<Tensor, Tensor> module, Layer layer)
    {
        foreach (string name in layer.ParameterNames)
        {
            Tensor t = Find(module, name, layer);
            float[] data = t.detach().cpu().contiguous().data<float>().ToArray();
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
}
