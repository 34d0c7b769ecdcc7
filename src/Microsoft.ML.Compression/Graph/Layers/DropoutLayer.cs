using Microsoft.ML.Compression.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Graph;

/// <summary>Dropout while training; identity at inference (and so absent from exported models).</summary>
public sealed class DropoutLayer : ElementwiseLayer
{
    /// <summary>Creates the layer with drop probability <paramref name="probability"/>.</summary>
    public DropoutLayer(string name, string input, double probability) : base(name, input)
    {
        if (probability < 0 || probability >= 1)
            throw new ArgumentOutOfRangeException(nameof(probability), probability, $"Dropout '{name}' needs a probability in [0, 1).");
        Probability = probability;
    }

    /// <summary>Probability of zeroing an element while training.</summary>
    public double Probability { get; }

    /// <inheritdoc />
    public override string Kind => "Dropout";

    /// <inheritdoc />
    public override Layer WithInputs(IReadOnlyList<string> inputs) => new DropoutLayer(Name, inputs[0], Probability);

    // A module, because dropout depends on the training mode the graph module passes down.
    internal override nn.Module<Tensor, Tensor> CreateModule() => nn.Dropout(Probability);

    internal override Tensor Forward(IReadOnlyList<Tensor> inputs, nn.Module<Tensor, Tensor>? module) => module!.call(inputs[0]);

    // Identity at inference: consumers read the input.
    internal override string WriteOnnx(OnnxLayerContext onnx) => onnx.Inputs[0];

    internal override bool KeepsInputGrid => true;
}
