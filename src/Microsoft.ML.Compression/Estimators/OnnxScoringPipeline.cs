using System;
using System.IO;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

namespace Microsoft.ML.Compression.Estimators;

/// <summary>
/// The ML.NET transformers that score an exported model: OnnxTransformer producing Score and a raw class index,
/// then a value-to-key mapping that turns the index into a key-typed PredictedLabel.
/// The ONNX file lives in a temporary path owned (and deleted) by this object.
/// </summary>
internal sealed class OnnxScoringPipeline : IDisposable
{
    // OnnxTransformer names its columns after the ONNX outputs.
    public const string ScoreColumn = Onnx.OnnxExporter.ScoreOutput;
    public const string PredictedLabelColumn = Onnx.OnnxExporter.PredictedLabelOutput;
    private readonly string _modelPath;

    public OnnxScoringPipeline(TransformsCatalog transforms, byte[] onnxModel, string featureColumnName, int classCount, IDataView schemaSource)
    {
        _modelPath = Path.Combine(Path.GetTempPath(), $"mlcompression-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(_modelPath, onnxModel);
        try
        {
            var onnx = transforms.ApplyOnnxModel(
                outputColumnNames: new[] { ScoreColumn, PredictedLabelColumn },
                inputColumnNames: new[] { featureColumnName },
                modelFile: _modelPath, gpuDeviceId: null, fallbackToCpu: false);
            // A throw-away context only materialises the key set; the transforms belong to the caller's context.
            var keys = new MLContext().Data.LoadFromEnumerable(ClassIndices(classCount));
            var toKey = transforms.Conversion.MapValueToKey(PredictedLabelColumn, PredictedLabelColumn,
                keyOrdinality: ValueToKeyMappingEstimator.KeyOrdinality.ByValue, keyData: keys);
            // Neither step reads rows while fitting: the ONNX model and the key set fix everything.
            Transformer = onnx.Append(toKey).Fit(schemaSource);
        }
        catch
        {
            File.Delete(_modelPath);
            throw;
        }
    }

    public ITransformer Transformer { get; }

    private static System.Collections.Generic.IEnumerable<ClassIndex> ClassIndices(int count)
    {
        for (long i = 0; i < count; i++) yield return new ClassIndex { PredictedLabel = i };
    }

    private sealed class ClassIndex { public long PredictedLabel { get; set; } }

    public void Dispose()
    {
        (Transformer as IDisposable)?.Dispose();
        try { File.Delete(_modelPath); } catch (IOException) { }
    }
}
