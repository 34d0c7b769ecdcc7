namespace Microsoft.ML.Compression.Graph;

/// <summary>A layer that keeps its input's shape and channels (activations, dropout).</summary>
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

    internal override ChannelRule ChannelFlow => ChannelRule.PassThrough;
}
