using System.IO;
using System.Linq;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Onnx;
using Microsoft.ML.Compression.Zoo;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Onnx;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Compression.Tests.Onnx;

[TestClass]
public sealed class OnnxTransformerTests
{
    private sealed class Row
    {
        [VectorType(784)]
        public float[] Features { get; set; } = new float[784];
    }

    private sealed class Prediction
    {
        [VectorType(10)]
        public float[] Score { get; set; } = [];

        [VectorType(10)]
        public float[] Logits { get; set; } = [];
    }

    /// <summary>ML.NET binds the exported model by column name and scores it like ONNX Runtime does.</summary>
    [TestMethod]
    public void MlNet_ScoresTheExportedModel()
    {
        NetworkGraph graph = TestWeights.FillRandom(NetworkZoo.LeNet5(), seed: 21);
        byte[] model = OnnxExporter.Export(graph);
        float[] inputs = TestWeights.RandomInputs(3, 784, seed: 22);
        OrtRunner.Result expected = OrtRunner.Run(model, inputs, 3);

        string path = Path.Combine(Path.GetTempPath(), $"mlcompression-test-{System.Environment.ProcessId}-lenet5.onnx");
        File.WriteAllBytes(path, model);
        try
        {
            var ml = new MLContext(seed: 0);
            var rows = Enumerable.Range(0, 3).Select(r => new Row { Features = inputs.Skip(r * 784).Take(784).ToArray() }).ToArray();
            IDataView data = ml.Data.LoadFromEnumerable(rows);
            OnnxScoringEstimator estimator = ml.Transforms.ApplyOnnxModel(new[] { "Score", "Logits" }, new[] { "Features" }, path);
            using OnnxTransformer transformer = estimator.Fit(data);
            var predictions = ml.Data.CreateEnumerable<Prediction>(transformer.Transform(data), reuseRowObject: false).ToArray();
            for (int r = 0; r < 3; r++)
                for (int j = 0; j < 10; j++)
                {
                    Assert.AreEqual(expected.Score[r * 10 + j], predictions[r].Score[j], 1e-5f);
                    Assert.AreEqual(expected.Logits[r * 10 + j], predictions[r].Logits[j], 1e-4f);
                }
        }
        finally
        {
            File.Delete(path);
        }
    }
}
