using Microsoft.ML.Compression.Estimators;
using Microsoft.ML.Compression.Onnx;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Compression.Scoring;

/// <summary>
/// The ML.NET transformers that score an exported model: ML.NET's OnnxTransformer computing the class probabilities
/// with ONNX Runtime, then ML.NET's multiclass scorer (<see cref="MulticlassScorer"/>) turning them into the options'
/// Score and PredictedLabel columns. Saving it saves only ML.NET types, so the model loads wherever ML.NET runs.
/// </summary>
internal sealed class OnnxScoringPipeline : IDisposable
{
    private readonly TempModelFile _file;
    private readonly List<ITransformer> _parts = new();

    /// <param name="catalog">The compression catalog (its MLContext's transforms and environment).</param>
    /// <param name="onnxModel">The exported model; its input is named after the feature column.</param>
    /// <param name="columns">The columns to read and write.</param>
    /// <param name="classCount">Classes of the model.</param>
    /// <param name="schemaSource">Data with the training schema (its label column's class names name the predicted labels); no row is read.</param>
    public OnnxScoringPipeline(CompressionCatalog catalog, byte[] onnxModel, EstimatorOptions columns, int classCount, IDataView schemaSource)
    {
        _file = new TempModelFile(onnxModel);
        try
        {
            var onnx = catalog.Transforms.ApplyOnnxModel(
                outputColumnNames: new[] { OnnxExporter.ScoreOutput },
                inputColumnNames: new[] { columns.FeatureColumnName },
                modelFile: _file.Path, gpuDeviceId: null, fallbackToCpu: false).Fit(schemaSource);
            _parts.Add(onnx);
            _file.Release(); // ONNX Runtime holds the model in memory; the file comes back only when a save reads it
            DataViewSchema probabilities = onnx.GetOutputSchema(schemaSource.Schema);
            string? label = schemaSource.Schema.GetColumnOrNull(columns.LabelColumnName) is null ? null : columns.LabelColumnName;
            // ML.NET's scorer names its score column "Score" (it hides the ONNX model's column of the same name).
            _parts.Add(MulticlassScorer.Create(catalog.Environment, probabilities, OnnxExporter.ScoreOutput, classCount, label,
                MulticlassScorer.ScoreColumn, columns.PredictedLabelColumnName));
            if (columns.ScoreColumnName != MulticlassScorer.ScoreColumn)
            {
                var rename = catalog.Transforms.CopyColumns(columns.ScoreColumnName, MulticlassScorer.ScoreColumn)
                    .Append(catalog.Transforms.DropColumns(MulticlassScorer.ScoreColumn));
                _parts.Add(rename.Fit(_parts[1].Transform(onnx.Transform(schemaSource))));
            }
            Transformer = new TransformerChain<ITransformer>(_parts.ToArray());
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The scoring transformers as one chain.</summary>
    public ITransformer Transformer { get; private set; } = null!;

    /// <summary>Saves the chain (the ONNX file is put back for OnnxTransformer, which reads it by path).</summary>
    public void Save(ModelSaveContext context)
    {
        using (_file.Materialize())
            ((ICanSaveModel)Transformer).Save(context);
    }

    public void Dispose()
    {
        foreach (var part in _parts) (part as IDisposable)?.Dispose();
        _file.Dispose();
    }
}
