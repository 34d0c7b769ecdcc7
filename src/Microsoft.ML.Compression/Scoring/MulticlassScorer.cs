using System.Reflection;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Trainers;

namespace Microsoft.ML.Compression.Scoring;

/// <summary>
/// ML.NET's own multiclass scorer over the class probabilities ONNX Runtime computes, so a fitted model's output is
/// what ML.NET's multiclass trainers give: a scalar key PredictedLabel whose values are the label column's class names
/// (when it has them), Score with the scorer's annotations, and a model that saves and loads with ML.NET alone.
/// </summary>
/// <remarks>
/// The scorer wraps a one-versus-all model of K linear predictors whose k-th weight vector is the unit vector e_k and
/// bias 0, with raw outputs: score k is exactly probability k (1 x p_k + 0), and the predicted label is its arg max.
/// ML.NET 5 creates such transformers only inside its trainers; this class calls the same internal constructors its
/// OneVersusAll trainer calls, and fails loudly, naming the member, if a future ML.NET renames them.
/// </remarks>
internal static class MulticlassScorer
{
    private const BindingFlags Internal = BindingFlags.NonPublic | BindingFlags.Instance;

    /// <summary>The name the scorer gives its score column (its mapper's output; other names are refused).</summary>
    public const string ScoreColumn = "Score";

    /// <summary>
    /// A transformer adding <paramref name="scoreColumn"/> (<see cref="ScoreColumn"/>) and <paramref name="predictedLabelColumn"/> computed from the
    /// probabilities in <paramref name="probabilitiesColumn"/> of <paramref name="schema"/>, with the class names of
    /// <paramref name="labelColumn"/> (null: none).
    /// </summary>
    public static ITransformer Create(IHostEnvironment environment, DataViewSchema schema, string probabilitiesColumn, int classCount,
        string? labelColumn, string scoreColumn, string predictedLabelColumn)
    {
        Type predictorInterface = typeof(IHostEnvironment).Assembly.GetType("Microsoft.ML.IPredictorProducing`1")?.MakeGenericType(typeof(float))
            ?? throw Missing("the interface Microsoft.ML.IPredictorProducing<float>");
        ConstructorInfo linear = typeof(LinearBinaryModelParameters).GetConstructors(Internal)
            .FirstOrDefault(c => c.GetParameters() is { Length: 4 } p && p[0].ParameterType == typeof(IHostEnvironment) && p[1].ParameterType.IsByRef)
            ?? throw Missing("LinearBinaryModelParameters(IHostEnvironment, in VBuffer<float>, float, ModelStatisticsBase)");
        MethodInfo oneVersusAll = typeof(OneVersusAllModelParameters).GetMethods(BindingFlags.NonPublic | BindingFlags.Static)
            .FirstOrDefault(m => m.Name == "Create" && m.GetParameters() is { Length: 3 } p && p[1].ParameterType == typeof(bool))
            ?? throw Missing("OneVersusAllModelParameters.Create(IHost, bool, IPredictorProducing<float>[])");
        ConstructorInfo transformer = typeof(MulticlassPredictionTransformer<OneVersusAllModelParameters>).GetConstructors(Internal)
            .FirstOrDefault(c => c.GetParameters().Length == 7)
            ?? throw Missing("MulticlassPredictionTransformer(IHostEnvironment, TModel, DataViewSchema, string, string, string, string)");

        var predictors = Array.CreateInstance(predictorInterface, classCount);
        for (int k = 0; k < classCount; k++)
        {
            var unit = new VBuffer<float>(classCount, 1, new[] { 1f }, new[] { k });
            predictors.SetValue(linear.Invoke(new object?[] { environment, unit, 0f, null }), k);
        }
        IHost host = environment.Register("Compression.Scorer");
        var model = (OneVersusAllModelParameters)oneVersusAll.Invoke(null, new object[] { host, false, predictors })!;
        return (ITransformer)transformer.Invoke(new object?[] { environment, model, schema, probabilitiesColumn, labelColumn, scoreColumn, predictedLabelColumn });
    }

    private static NotSupportedException Missing(string member) =>
        new($"This ML.NET version ({typeof(MLContext).Assembly.GetName().Version}) lacks {member}, which Microsoft.ML.Compression uses to " +
            "give its models ML.NET's multiclass output columns; use the Microsoft.ML version this library was built against (5.0.x).");
}
