using System.Collections.Generic;
using System.Linq;

namespace Microsoft.ML.Compression.Graph;

/// <summary>Element-wise sum of two or more inputs of the same shape (residual connections).</summary>
public sealed class AddLayer : Layer
{
    /// <summary>Creates the layer.</summary>
    public AddLayer(string name, IReadOnlyList<string> inputs) : base(name, inputs)
    {
        if (inputs.Count < 2) throw new System.ArgumentException($"Add '{name}' needs at least 2 inputs.", nameof(inputs));
    }
    /// <inheritdoc />
    public override string Kind => "Add";
    /// <inheritdoc />
    public override int[] InferShape(IReadOnlyList<int[]> inputShapes)
    {
        for (int i = 1; i < inputShapes.Count; i++)
            if (!inputShapes[i].SequenceEqual(inputShapes[0]))
                throw ShapeError($"inputs must have the same shape, but '{Inputs[0]}' is {Format(inputShapes[0])} and '{Inputs[i]}' is {Format(inputShapes[i])}.");
        return (int[])inputShapes[0].Clone();
    }
    /// <inheritdoc />
    public override Layer WithInputs(IReadOnlyList<string> inputs) => new AddLayer(Name, inputs);
}

/// <summary>Concatenation of feature maps along the channel axis.</summary>
public sealed class ConcatLayer : Layer
{
    /// <summary>Creates the layer.</summary>
    public ConcatLayer(string name, IReadOnlyList<string> inputs) : base(name, inputs)
    {
        if (inputs.Count < 2) throw new System.ArgumentException($"Concat '{name}' needs at least 2 inputs.", nameof(inputs));
    }
    /// <inheritdoc />
    public override string Kind => "Concat";
    /// <inheritdoc />
    public override int[] InferShape(IReadOnlyList<int[]> inputShapes)
    {
        int[] first = inputShapes[0];
        int channels = 0;
        for (int i = 0; i < inputShapes.Count; i++)
        {
            int[] s = inputShapes[i];
            if (s.Length != first.Length || !s.Skip(1).SequenceEqual(first.Skip(1)))
                throw ShapeError($"inputs must agree on all but the channel axis, but '{Inputs[0]}' is {Format(first)} and '{Inputs[i]}' is {Format(s)}.");
            channels += s[0];
        }
        var result = (int[])first.Clone();
        result[0] = channels;
        return result;
    }
    /// <inheritdoc />
    public override Layer WithInputs(IReadOnlyList<string> inputs) => new ConcatLayer(Name, inputs);
}
