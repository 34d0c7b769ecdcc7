using Microsoft.ML.Compression.Compressed;
using Microsoft.ML.Compression.Graph;

namespace Microsoft.ML.Compression.Estimators;

/// <summary>What a method's Fit produced, before the skeleton exports and wraps it.</summary>
/// <param name="Compressed">The model to export (graph, weight encodings, activation quantization).</param>
/// <param name="FloatNetwork">The trained float network (BatchNorm unfolded): the starting point of a further step.</param>
/// <param name="Method">The method's name in the report and the ONNX metadata, e.g. "simqat-int8" or "slim50".</param>
/// <param name="Prunes">True when the method removed channels (the model then carries a pruning report).</param>
internal sealed record FitResult(CompressedNetwork Compressed, NetworkGraph FloatNetwork, string Method, bool Prunes = false);
