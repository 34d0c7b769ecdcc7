using System.Collections.Generic;

namespace Microsoft.ML.Compression.Graph;

/// <summary>A layer that keeps its input's shape (activations, dropout).</summary>
public abstract class ElementwiseLayer : Layer
{
    /// <summary>Creates the layer.</summary>
    protected ElementwiseLayer(string name, string input) : base(name, new[] { input }) { }

    /// <inheritdoc />
    public override int[] InferShape(IReadOnlyList<int[]> inputShapes)
    {
        if (inputShapes.Count != 1) throw ShapeError($"expects 1 input, got {inputShapes.Count}.");
        return (int[])inputShapes[0].Clone();
    }
}

/// <summary>max(x, 0).</summary>
public sealed class ReLULayer : ElementwiseLayer
{
    /// <summary>Creates the layer.</summary>
    public ReLULayer(string name, string input) : base(name, input) { }
    /// <inheritdoc />
    public override string Kind => "ReLU";
    /// <inheritdoc />
    public override Layer WithInputs(IReadOnlyList<string> inputs) => new ReLULayer(Name, inputs[0]);
}

/// <summary>min(max(x, 0), 6).</summary>
public sealed class ReLU6Layer : ElementwiseLayer
{
    /// <summary>Creates the layer.</summary>
    public ReLU6Layer(string name, string input) : base(name, input) { }
    /// <inheritdoc />
    public override string Kind => "ReLU6";
    /// <inheritdoc />
    public override Layer WithInputs(IReadOnlyList<string> inputs) => new ReLU6Layer(Name, inputs[0]);
}

/// <summary>Dropout while training; identity at inference (and so absent from exported models).</summary>
public sealed class DropoutLayer : ElementwiseLayer
{
    /// <summary>Creates the layer with drop probability <paramref name="probability"/>.</summary>
    public DropoutLayer(string name, string input, double probability) : base(name, input)
    {
        if (probability < 0 || probability >= 1)
            throw new System.ArgumentOutOfRangeException(nameof(probability), probability, $"Dropout '{name}' needs a probability in [0, 1).");
        Probability = probability;
    }

    /// <summary>Probability of zeroing an element while training.</summary>
    public double Probability { get; }
    /// <inheritdoc />
    public override string Kind => "Dropout";
    /// <inheritdoc />
    public override Layer WithInputs(IReadOnlyList<string> inputs) => new DropoutLayer(Name, inputs[0], Probability);
}
