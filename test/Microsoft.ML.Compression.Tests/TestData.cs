using System;
using System.Linq;
using Microsoft.ML.Compression.Datasets;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Training;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Compression.Tests;

/// <summary>Real MNIST subsets for the tests (fetched once into the repository's git-ignored data folder).</summary>
[TestClass]
public static class TestData
{
    private static string? _mnistDirectory;

    [AssemblyInitialize]
    public static void FetchData(TestContext context)
    {
        string root = SampleDatasets.FindRepositoryDataRoot(AppContext.BaseDirectory);
        _mnistDirectory = SampleDatasets.EnsureMnist(root, Console.WriteLine);
    }

    public static string MnistDirectory => _mnistDirectory ?? throw new InvalidOperationException("MNIST was not fetched.");

    /// <summary>The first <paramref name="rows"/> MNIST rows of a split as an IDataView (Features float[784], Label key).</summary>
    public static IDataView Mnist(MLContext ml, MnistSplit split, int rows) => MnistIdx.Load(ml, MnistDirectory, split, rows);

    /// <summary>The same rows as tensors-ready arrays.</summary>
    public static LabeledDataset MnistArrays(MnistSplit split, int rows) =>
        LabeledDataset.Read(Mnist(new MLContext(0), split, rows), "Features", "Label", 784, 10);

    /// <summary>Seeded random parameters for every layer (BatchNorm variances positive), for tests that need weights without training.</summary>
    public static NetworkGraph WithRandomWeights(NetworkGraph graph, int seed)
    {
        var rng = new Random(seed);
        NetworkGraph copy = graph.WithoutWeights();
        foreach (Layer layer in copy.Layers)
            foreach (string name in layer.ParameterNames)
            {
                int[] shape = layer.ParameterShape(name);
                int fanIn = shape.Length > 1 ? shape.Skip(1).Aggregate(1, (a, d) => a * d) : 1;
                float scale = name == "weight" && shape.Length > 1 ? (float)Math.Sqrt(2.0 / fanIn) : 0.1f;
                float[] data = new float[shape.Aggregate(1, (a, d) => a * d)];
                for (int i = 0; i < data.Length; i++)
                {
                    double gaussian = Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
                    data[i] = name switch
                    {
                        "running_var" => 0.5f + (float)rng.NextDouble(),
                        "weight" when layer is BatchNorm2dLayer => 0.5f + (float)rng.NextDouble(),
                        _ => (float)gaussian * scale,
                    };
                }
                layer.SetParameter(name, new ParameterTensor(shape, data));
            }
        return copy;
    }
}
