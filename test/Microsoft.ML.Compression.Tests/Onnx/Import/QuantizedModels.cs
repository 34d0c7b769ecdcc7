using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.Compression.Compressed;
using Microsoft.ML.Compression.Datasets;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Quantization;

namespace Microsoft.ML.Compression.Tests.Onnx.Import;

/// <summary>
/// Every quantized model the import tests build, and the float parameters their files stand for, in one place: the
/// quantized-network descriptions are being unified, and only this file should need to follow.
/// </summary>
internal static class QuantizedModels
{
    private static readonly Lazy<Compression.Training.LabeledDataset> Samples = new(() => TestData.MnistArrays(MnistSplit.Train, 64));

    /// <summary>An int8 network of <paramref name="graph"/> (BatchNorm folded, every Conv2d/Linear int8), with or without uint8 activations.</summary>
    public static CompressedNetwork Int8(NetworkGraph graph, bool activations)
    {
        CompressedNetwork calibrated = Calibration.Quantize(graph, Samples.Value, CalibrationMethod.MinMax, 99.99, null, "KeepFloatLayers", () => { });
        return activations ? calibrated : new CompressedNetwork(calibrated.Graph, calibrated.Weights);
    }

    /// <summary>A network with every Conv2d/Linear rounded to <paramref name="bits"/>, with or without uint8 activations.</summary>
    public static CompressedNetwork LowBit(NetworkGraph graph, int bits, bool activations)
    {
        string[] layers = graph.Layers.Where(l => l is Conv2dLayer or LinearLayer).Select(l => l.Name).ToArray();
        return Calibration.QuantizeLowBit(graph, bits, layers, activations ? Samples.Value : null, CalibrationMethod.MinMax, 99.99, () => { });
    }

    /// <summary>
    /// The float parameters the int8 file stands for, computed from the stored integers: q x scale per output channel
    /// for quantized weights, the int32 bias times its scale (input scale x weight scale) where the input is quantized,
    /// the float values elsewhere.
    /// </summary>
    public static float[] Int8Parameter(CompressedNetwork network, string layer, string parameter)
    {
        float[] value = network.Graph[layer].Parameters[parameter].Data;
        if (network.EncodingOf(layer) is not Int8Weights int8) return value;
        float[] scales = int8.Scales;
        if (parameter == "weight")
        {
            int perChannel = int8.Values.Length / scales.Length;
            return int8.Values.Select((v, i) => v * scales[i / perChannel]).ToArray();
        }
        if (network.ActivationOf(network.Graph[layer].Inputs[0]) is not QuantParams input) return value;
        return value.Select((b, c) =>
        {
            float scale = scales[c] * input.Scale;
            return (float)(int)Math.Round(b / scale, MidpointRounding.ToEven) * scale;
        }).ToArray();
    }

    /// <summary>The float parameters the sub-byte file stands for: the decoded low-bit weights, the float values elsewhere.</summary>
    public static float[] LowBitParameter(CompressedNetwork network, string layer, string parameter) =>
        parameter == "weight" && network.EncodingOf(layer) is LevelWeights w ? w.Decode() : network.Graph[layer].Parameters[parameter].Data;
}
