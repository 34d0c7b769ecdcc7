using System;
using System.Linq;
using Microsoft.ML.Compression.Graph;

namespace Microsoft.ML.Compression.Tests.Onnx;

/// <summary>Seeded random parameters for IR graphs, scaled so activations stay in a sensible range.</summary>
internal static class TestWeights
{
    /// <summary>Sets every parameter of every layer of <paramref name="graph"/> and returns it.</summary>
    public static NetworkGraph FillRandom(NetworkGraph graph, int seed)
    {
        var random = new Random(seed);
        foreach (Layer layer in graph.Layers)
        {
            foreach (string name in layer.ParameterNames)
            {
                int[] shape = layer.ParameterShape(name);
                int count = shape.Aggregate(1, (a, d) => a * d);
                // Kaiming-uniform-like bound from the fan-in, so deep nets (ResNet-20) neither vanish nor explode.
                int fanIn = shape.Length > 1 ? shape.Skip(1).Aggregate(1, (a, d) => a * d) : 1;
                (float lo, float hi) = (layer, name) switch
                {
                    (BatchNorm2dLayer, "weight") => (0.5f, 1.5f),
                    (BatchNorm2dLayer, "bias") => (-0.2f, 0.2f),
                    (BatchNorm2dLayer, "running_mean") => (-0.2f, 0.2f),
                    (BatchNorm2dLayer, "running_var") => (0.5f, 1.5f), // must be positive
                    (_, "bias") => (-0.1f, 0.1f),
                    _ => (-(float)Math.Sqrt(6.0 / fanIn), (float)Math.Sqrt(6.0 / fanIn)),
                };
                var data = new float[count];
                for (int i = 0; i < count; i++) data[i] = lo + (hi - lo) * (float)random.NextDouble();
                layer.SetParameter(name, new ParameterTensor(shape, data));
            }
        }
        return graph;
    }

    /// <summary><paramref name="rows"/> random samples of <paramref name="size"/> values in [-1, 1], row-major.</summary>
    public static float[] RandomInputs(int rows, int size, int seed)
    {
        var random = new Random(seed);
        var data = new float[rows * size];
        for (int i = 0; i < data.Length; i++) data[i] = (float)(random.NextDouble() * 2 - 1);
        return data;
    }
}
