using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Quantization;

namespace Microsoft.ML.Compression.Onnx;

/// <summary>
/// Writes a <see cref="QuantizedNetwork"/> in ONNX's QDQ form, the standard encoding that ONNX Runtime turns into
/// integer kernels (QLinearConv, QGemm, QLinearAdd, ...): int8 weights (per output channel, zero point 0, axis 0) and
/// int32 biases (scale = input scale x weight scale) behind DequantizeLinear, and a QuantizeLinear -> DequantizeLinear
/// pair (uint8, per tensor) after the image and after each quantized activation (<see cref="ActivationQdqWriter"/>).
/// </summary>
internal sealed class QdqNetworkWriter : OnnxNetworkWriter
{
    private readonly QuantizedNetwork _network;
    private ActivationQdqWriter? _activations;

    public QdqNetworkWriter(QuantizedNetwork network) => _network = network;

    protected override string WeightInput(Layer layer, string parameterName, ParameterTensor value)
    {
        if (!_network.IsQuantized(layer.Name)) return base.WeightInput(layer, parameterName, value);
        float[] scales = _network.WeightScales(layer.Name);
        long[] channelDims = { scales.Length };
        if (parameterName == "weight")
        {
            string q = Builder.AddInt8($"{layer.Name}.weight_quantized", OnnxTensors.Dims(value.Shape), _network.QuantizedWeights(layer.Name));
            string scale = Builder.AddFloat($"{layer.Name}.weight_scale", channelDims, scales);
            string zeroPoint = Builder.AddInt8($"{layer.Name}.weight_zero_point", channelDims, new sbyte[scales.Length]);
            return Dequantize(layer, "weight", q, scale, zeroPoint);
        }
        // A bias is added to the int32 accumulator, so its scale is fixed by the input's and the weights'.
        if (parameterName == "bias" && _network.ActivationOf(layer.Inputs[0]) is QuantParams input)
        {
            var biasScales = new float[scales.Length];
            var q = new int[scales.Length];
            for (int c = 0; c < scales.Length; c++)
            {
                biasScales[c] = scales[c] * input.Scale;
                q[c] = (int)Math.Clamp(Math.Round(value.Data[c] / biasScales[c], MidpointRounding.ToEven), int.MinValue, int.MaxValue);
            }
            string bias = Builder.AddInt32($"{layer.Name}.bias_quantized", channelDims, q);
            string scale = Builder.AddFloat($"{layer.Name}.bias_scale", channelDims, biasScales);
            string zeroPoint = Builder.AddInt32($"{layer.Name}.bias_zero_point", channelDims, new int[scales.Length]);
            return Dequantize(layer, "bias", bias, scale, zeroPoint);
        }
        return base.WeightInput(layer, parameterName, value);
    }

    protected override string ActivationOutput(Layer? layer, string tensor) =>
        (_activations ??= new ActivationQdqWriter(Builder, _network.ActivationOf)).Write(layer, tensor);

    protected override void AddMetadata(OnnxGraphBuilder builder)
    {
        builder.SetMetadata(OnnxMetadataKeys.WeightBits, _network.WeightBits.ToString(CultureInfo.InvariantCulture));
        builder.SetMetadata(OnnxMetadataKeys.ActivationBits, _network.ActivationBits.ToString(CultureInfo.InvariantCulture));
        builder.SetMetadata(OnnxMetadataKeys.QuantizedLayers, string.Join(",", _network.Graph.Layers.Select(l => l.Name).Where(_network.IsQuantized)));
    }

    private string Dequantize(Layer layer, string parameter, string quantized, string scale, string zeroPoint) =>
        Builder.AddNode("DequantizeLinear", new[] { quantized, scale, zeroPoint }, $"{layer.Name}.{parameter}", OnnxAttributes.Int("axis", 0));
}
