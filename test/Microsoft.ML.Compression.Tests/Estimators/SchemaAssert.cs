using System.Linq;
using Microsoft.ML.Data;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.Compression.Tests.Estimators;

/// <summary>
/// The schema half of ML.NET's TestEstimatorCore: what an estimator promises before Fit (GetOutputSchema) is what its
/// fitted transformer delivers, column by column (name, scalar or vector, item type with key count, annotations).
/// </summary>
internal static class SchemaAssert
{
    /// <summary>Fails unless <paramref name="promised"/> and the visible columns of <paramref name="actual"/> agree.</summary>
    public static void SameShape(SchemaShape promised, DataViewSchema actual, string what)
    {
        SchemaShape delivered = MlNetInternals.ShapeOf(actual);
        CollectionAssert.AreEquivalent(promised.Select(c => c.Name).ToArray(), delivered.Select(c => c.Name).ToArray(), $"{what}: column names");
        foreach (SchemaShape.Column expected in promised)
        {
            SchemaShape.Column column = delivered.Single(c => c.Name == expected.Name);
            Assert.AreEqual(expected.Kind, column.Kind, $"{what}: '{expected.Name}' kind");
            Assert.AreEqual(expected.ItemType, column.ItemType, $"{what}: '{expected.Name}' item type (key count included)");
            Assert.AreEqual(expected.IsKey, column.IsKey, $"{what}: '{expected.Name}' is a key");
            CollectionAssert.AreEquivalent(
                expected.Annotations.Select(a => $"{a.Name}:{a.Kind}:{a.ItemType}").ToArray(),
                column.Annotations.Select(a => $"{a.Name}:{a.Kind}:{a.ItemType}").ToArray(),
                $"{what}: '{expected.Name}' annotations");
        }
    }
}
