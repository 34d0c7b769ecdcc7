namespace Microsoft.ML.Compression.Onnx.Import;

/// <summary>
/// Turns one node computed at run time into network IR: adds layers through <see cref="ImportContext.AddLayer"/> or
/// binds its outputs to existing values (<see cref="ImportContext.SetOutput"/>). Throws
/// <see cref="System.NotSupportedException"/> (via <see cref="OnnxNode.Unsupported"/>) for attribute values the IR
/// cannot express. Converters are stateless: one instance serves every import.
/// </summary>
internal interface IOpConverter
{
    /// <summary>Converts <paramref name="node"/>.</summary>
    void Convert(OnnxNode node, ImportContext context);
}
