using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Pruning.Scop;

/// <summary>
/// SCOP's scientific control (Tang et al., 2020) on a <see cref="GraphModule"/>: every batch is doubled with its
/// knockoffs, each controlled convolution's output channel c on the real half becomes
/// beta_c * f(real) + (1 - beta_c) * f(knockoff), and the logits of the real half are returned. Only the betas
/// (initialised to 0.5) train; everything else is frozen, BatchNorm uses its running statistics, and after each step
/// the betas are clamped to [0, 1]. A channel whose beta stays high is one the network relies on more than on its
/// knockoff counterpart.
/// </summary>
public sealed class ScopControl : ITrainingHook, ICheckpointedHook
{
    private readonly Dictionary<string, ControlCoefficients> _controls = new();
    private readonly string _fingerprint;

    /// <summary>
    /// Installs the control on <paramref name="module"/> for the output channels of <paramref name="convolutions"/>;
    /// <paramref name="knockoffSettings"/> describes where the knockoffs come from (it joins checkpoints' fingerprint).
    /// </summary>
    public ScopControl(GraphModule module, IReadOnlyList<string> convolutions, Func<Tensor, Tensor> knockoffs, string knockoffSettings = "")
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(convolutions);
        ArgumentNullException.ThrowIfNull(knockoffs);
        foreach (var p in module.parameters()) p.requires_grad = false;
        module.SetOutputModule(NetworkGraph.InputName, new KnockoffHalf(knockoffs));
        foreach (string conv in convolutions)
        {
            if (module.Graph[conv] is not Conv2dLayer layer)
                throw new ArgumentException($"Layer '{conv}' of network '{module.Graph.Name}' is not a Conv2d layer.", nameof(convolutions));
            var control = new ControlCoefficients(conv, layer.OutChannels);
            _controls[conv] = control;
            module.SetOutputModule(conv, control);
        }
        module.SetOutputModule(module.Graph.OutputLayer.Name, new RealHalf());
        _fingerprint = $"scop|{string.Join(',', convolutions)}|{knockoffSettings}";
    }

    // The betas are parameters of the module and the knockoffs draw from torch's generator, both in the checkpoint.
    string ICheckpointedHook.Fingerprint => _fingerprint;

    IReadOnlyDictionary<string, float[]> ICheckpointedHook.SaveState() => new Dictionary<string, float[]>();

    void ICheckpointedHook.LoadState(GraphModule module, IReadOnlyDictionary<string, float[]> state, long step) { }

    /// <summary>The current control coefficients of a convolution's output channels.</summary>
    public float[] Beta(string convolution) => _controls[convolution].Beta.detach().data<float>().ToArray();

    /// <summary>The trainable coefficients (what the optimizer should update).</summary>
    public IEnumerable<Parameter> Parameters => _controls.Values.Select(c => c.Beta);

    /// <inheritdoc />
    public void OnEpochStart(GraphModule module, int epoch)
    {
        // Weights are frozen: BatchNorm normalizes with its running statistics, not with the mixed real/knockoff batch.
        foreach (var layer in module.Graph.Layers.OfType<BatchNorm2dLayer>())
            module.ModuleOf(layer.Name)?.eval();
    }

    /// <inheritdoc />
    public void AfterStep(GraphModule module, long step)
    {
        using var noGrad = torch.no_grad();
        foreach (var control in _controls.Values) control.Beta.clamp_(0, 1);
    }

    private sealed class KnockoffHalf : nn.Module<Tensor, Tensor>
    {
        private readonly Func<Tensor, Tensor> _knockoffs;
        public KnockoffHalf(Func<Tensor, Tensor> knockoffs) : base("knockoff_half") => _knockoffs = knockoffs;
        public override Tensor forward(Tensor x) => torch.cat(new[] { x, _knockoffs(x.detach()) }, 0);
    }

    private sealed class RealHalf : nn.Module<Tensor, Tensor>
    {
        public RealHalf() : base("real_half") { }
        public override Tensor forward(Tensor x) => x.narrow(0, 0, x.shape[0] / 2);
    }
}

/// <summary>beta per output channel: the real half becomes beta * real + (1 - beta) * knockoff; the knockoff half passes.</summary>
internal sealed class ControlCoefficients : nn.Module<Tensor, Tensor>
{
    public ControlCoefficients(string layer, int channels) : base($"{layer}_scop")
    {
        Beta = new Parameter(torch.full(channels, 0.5f));
        register_parameter("beta", Beta);
    }

    public Parameter Beta { get; }

    public override Tensor forward(Tensor y)
    {
        long n = y.shape[0] / 2;
        Tensor real = y.narrow(0, 0, n), knockoff = y.narrow(0, n, n);
        Tensor beta = Beta.reshape(1, -1, 1, 1);
        return torch.cat(new[] { beta * real + (1 - beta) * knockoff, knockoff }, 0);
    }
}
