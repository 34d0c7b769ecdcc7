using System;
using System.Linq;
using Microsoft.ML.Compression.Distillation;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Tests.Distillation;

/// <summary>Hinton's loss against values worked out by hand in double precision.</summary>
[TestClass]
public class DistillationLossTests
{
    private static readonly double[][] Student = { new[] { 1.0, 2.0, 3.0 }, new[] { 0.5, -1.0, 2.0 } };
    private static readonly double[][] Teacher = { new[] { 3.0, 2.0, 1.0 }, new[] { 0.0, 0.0, 4.0 } };
    private static readonly long[] Labels = { 0, 2 };

    private static double[] Softmax(double[] z, double t)
    {
        double max = z.Max(v => v / t);
        double[] e = z.Select(v => Math.Exp(v / t - max)).ToArray();
        double sum = e.Sum();
        return e.Select(v => v / sum).ToArray();
    }

    private static double Kl(double t) =>
        Enumerable.Range(0, 2).Average(n =>
        {
            double[] p = Softmax(Teacher[n], t), q = Softmax(Student[n], t);
            return p.Select((pk, k) => pk * Math.Log(pk / q[k])).Sum();
        });

    private static double CrossEntropy() => Enumerable.Range(0, 2).Average(n => -Math.Log(Softmax(Student[n], 1)[Labels[n]]));

    private static Tensor T(double[][] rows, bool grad = false) =>
        torch.tensor(rows.SelectMany(r => r).Select(v => (float)v).ToArray(), new long[] { rows.Length, rows[0].Length }).requires_grad_(grad);

    [TestMethod]
    [DataRow(1.0, 0.5)]
    [DataRow(2.0, 0.5)]
    [DataRow(4.0, 0.9)]
    [DataRow(4.0, 0.0)]
    [DataRow(3.0, 1.0)]
    public void LossIsAlphaTSquaredKlPlusOneMinusAlphaCrossEntropy(double temperature, double alpha)
    {
        double expected = alpha * temperature * temperature * Kl(temperature) + (1 - alpha) * CrossEntropy();
        using var loss = DistillationLoss.Compute(T(Student), T(Teacher), torch.tensor(Labels), temperature, alpha);
        Assert.AreEqual(expected, loss.item<float>(), 1e-5 * Math.Max(1, expected), $"T={temperature}, alpha={alpha}");
    }

    [TestMethod]
    public void SoftTermCarriesTheTSquaredFactor()
    {
        // Worked values: KL at T = 4 is small, T^2 KL is 16 times it; the factor keeps gradients of the soft term
        // at the scale of the hard term: d(T^2 KL)/dz_s = T (softmax(z_s/T) - softmax(z_t/T)) / N.
        const double t = 4;
        using var student = T(Student, grad: true);
        using var soft = DistillationLoss.Compute(student, T(Teacher), torch.tensor(Labels), t, alpha: 1);
        Assert.AreEqual(16 * Kl(t), soft.item<float>(), 1e-5);
        Assert.AreEqual(Kl(t), DistillationLoss.SoftTargetKl(T(Student), T(Teacher), t).item<float>(), 1e-6);
        soft.backward();
        float[] grad = student.grad!.data<float>().ToArray();
        for (int n = 0; n < 2; n++)
        {
            double[] q = Softmax(Student[n], t), p = Softmax(Teacher[n], t);
            for (int k = 0; k < 3; k++)
                Assert.AreEqual(t * (q[k] - p[k]) / 2, grad[n * 3 + k], 1e-6, $"row {n}, class {k}");
        }
    }

    [TestMethod]
    public void TeacherReceivesNoGradientAndEqualLogitsHaveNoSoftLoss()
    {
        using var teacher = T(Teacher, grad: true);
        using var loss = DistillationLoss.Compute(T(Student, grad: true), teacher, torch.tensor(Labels), 2, 0.7);
        loss.backward();
        Assert.IsTrue(teacher.grad is null || teacher.grad.abs().max().item<float>() == 0, "the teacher is not trained");
        using var same = DistillationLoss.Compute(T(Teacher), T(Teacher), torch.tensor(Labels), 4, alpha: 1);
        Assert.AreEqual(0, same.item<float>(), 1e-6);
    }

    [TestMethod]
    public void BadSettingsAreNamed()
    {
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => DistillationLoss.Compute(T(Student), T(Teacher), torch.tensor(Labels), 0, 0.5));
        Assert.AreEqual("temperature", e.ParamName);
        e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => DistillationLoss.Compute(T(Student), T(Teacher), torch.tensor(Labels), 2, 1.5));
        Assert.AreEqual("alpha", e.ParamName);
        Assert.ThrowsExactly<ArgumentException>(() => DistillationLoss.Compute(T(Student), torch.zeros(2, 4), torch.tensor(Labels), 2, 0.5));
    }
}
