using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.Compression.Compressed;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Onnx;
using Microsoft.ML.Compression.Onnx.Import;
using Microsoft.ML.Compression.Quantization;
using Microsoft.ML.Compression.Quantization.LowBit;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Compression.Tests.Onnx.Import;

/// <summary>
/// int8 QDQ and sub-byte exports import as float networks: the weights are exactly the decoded ones, and the logits are
/// ONNX Runtime's on the same file with its activation quantization removed.
/// </summary>
[TestClass]
public sealed class QuantizedImportTests
{
    private const int Rows = 4;

    [TestMethod]
    [DataRow("lenet5-bn", false)]
    [DataRow("lenet5-bn", true)]
    [DataRow("resnet20", true)]
    [DataRow("inception", true)]
    [DataRow("mobilenetv2", true)]
    public void Int8QdqImportsTheDequantizedWeights(string name, bool activations)
    {
        CompressedNetwork network = QuantizedModels.Int8(TestWeights.FillRandom(Fp32RoundTripTests.Network(name), seed: 31), activations);
        byte[] model = OnnxExporter.Export(network);

        NetworkGraph imported = OnnxImporter.Import(model);

        ImportChecks.AssertSameStructure(network.Graph, imported);
        ImportChecks.AssertParameters(imported, (layer, p) => QuantizedModels.Int8Parameter(network, layer, p));
        AssertLogitsMatchOrtWithoutActivationQuantization(model, imported, activations);
    }

    [TestMethod]
    [DataRow(1, false)]
    [DataRow(1, true)]
    [DataRow(2, false)]
    [DataRow(2, true)]
    [DataRow(4, false)]
    [DataRow(4, true)]
    public void SubByteWeightsImportDecoded(int bits, bool activations)
    {
        CompressedNetwork network = QuantizedModels.LowBit(TestWeights.FillRandom(Fp32RoundTripTests.Network("lenet5-bn"), seed: 32), bits, activations);
        byte[] model = OnnxExporter.Export(network);

        NetworkGraph imported = OnnxImporter.Import(model);

        ImportChecks.AssertSameStructure(network.Graph, imported);
        ImportChecks.AssertParameters(imported, (layer, p) => QuantizedModels.LowBitParameter(network, layer, p));
        AssertLogitsMatchOrtWithoutActivationQuantization(model, imported, activations);
    }

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void SubByteMobileNetWithDepthwiseWeightsImportsDecoded(bool activations)
    {
        CompressedNetwork network = QuantizedModels.LowBit(TestWeights.FillRandom(Fp32RoundTripTests.Network("mobilenetv2"), seed: 33), 2, activations);
        byte[] model = OnnxExporter.Export(network);

        NetworkGraph imported = OnnxImporter.Import(model);

        ImportChecks.AssertSameStructure(network.Graph, imported);
        ImportChecks.AssertParameters(imported, (layer, p) => QuantizedModels.LowBitParameter(network, layer, p));
        AssertLogitsMatchOrtWithoutActivationQuantization(model, imported, activations);
    }

    private static void AssertLogitsMatchOrtWithoutActivationQuantization(byte[] model, NetworkGraph imported, bool activations)
    {
        int quantizers = OnnxModelInfo.Read(model).OperatorCounts.GetValueOrDefault("QuantizeLinear");
        Assert.AreEqual(activations, quantizers > 0, "the model quantizes its activations exactly when asked to");
        // A weight-only model is compared with ONNX Runtime as it is.
        byte[] floatActivations = activations ? ImportChecks.WithoutActivationQdq(model) : model;

        float[] inputs = TestWeights.RandomInputs(Rows, imported.InputSize, seed: 34);
        float[] ort = OrtRunner.Run(floatActivations, inputs, Rows).Logits;
        float diff = TorchLogits.MaxAbsDifference(ort, TorchLogits.Of(imported, inputs, Rows));
        Assert.IsTrue(diff <= 1e-4f, $"{imported.Name}: max |logit difference| to ONNX Runtime {diff}");
    }
}
