namespace Microsoft.ML.Compression.Onnx.Import;

/// <summary>
/// What an ONNX tensor computed at run time stands for in the network IR: the IR tensor (a layer name or
/// <see cref="Graph.NetworkGraph.InputName"/>) and its shape without the batch dimension. The shape differs from
/// the IR tensor's own only for the flat [C*H*W] graph input before its reshape to [C,H,W]. <see cref="Quantized"/>
/// marks a QuantizeLinear output, which only a DequantizeLinear may read.
/// </summary>
internal sealed record ActivationValue(string Tensor, int[] Shape, bool Quantized = false);
