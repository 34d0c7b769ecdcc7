using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.Compression.Sweeps;

namespace Microsoft.ML.Compression.Tests.Sweeps;

/// <summary>Synthetic problems with known optima for the sweep tests.</summary>
internal static class SweepTestProblems
{
    /// <summary>f(x, y) = (x − 1)² + (y + 2)² on [−5, 5]², minimum 0 at (1, −2); the default (4, 4) is far from it.</summary>
    public static SweepSearchSpace QuadraticSpace() => new SweepSearchSpace().AddRange("x", -5, 5, 4).AddRange("y", -5, 5, 4);

    public static double Quadratic(SweepConfiguration c) => Math.Pow(c.Get<double>("x") - 1, 2) + Math.Pow(c.Get<double>("y") + 2, 2);

    /// <summary>ZDT1 with three variables in [0, 1]: f1 = x1, g = 1 + 9 (x2 + x3) / 2, f2 = g (1 − √(f1 / g)); both minimised.</summary>
    public static SweepSearchSpace ZdtSpace() => new SweepSearchSpace().AddRange("x1", 0, 1, 0.5).AddRange("x2", 0, 1, 0.5).AddRange("x3", 0, 1, 0.5);

    public static SweepMetrics Zdt1(SweepConfiguration c)
    {
        double f1 = c.Get<double>("x1"), g = 1 + 9 * (c.Get<double>("x2") + c.Get<double>("x3")) / 2;
        return new SweepMetrics { ["f1"] = f1, ["f2"] = g * (1 - Math.Sqrt(f1 / g)) };
    }

    /// <summary>A temporary folder, deleted by <see cref="IDisposable.Dispose"/>.</summary>
    public sealed class TempFolder : IDisposable
    {
        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "sweep-tests-" + Guid.NewGuid().ToString("N"));

        public TempFolder() => System.IO.Directory.CreateDirectory(Path);

        public void Dispose()
        {
            try { System.IO.Directory.Delete(Path, recursive: true); } catch (System.IO.IOException) { }
        }
    }
}
