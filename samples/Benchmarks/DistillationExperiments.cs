using System;
using Microsoft.ML.Compression;
using Microsoft.ML.Compression.Estimators;
using Microsoft.ML.Compression.Quantization;
using Microsoft.ML.Compression.Zoo;

namespace Benchmarks;

/// <summary>
/// Distillation on its own (a small student with and without a ResNet-20 teacher) and inside a chained plan
/// (slimming then int8 QAT, with and without the fp32 model as teacher). Each pair uses the same seeds, data and
/// epochs, so the teacher is the only difference.
/// </summary>
internal static class DistillationExperiments
{
    /// <summary>
    /// mixed-fashion-resnet20: one plan, Network Slimming to a third of the parameters -> SimQAT int8, without and with
    /// the fp32 teacher.
    /// </summary>
    public static void MixedResNet20(ExperimentContext x)
    {
        x.UseFashionMnist();
        var c = x.Ml.Transforms.Compression;
        var fp32 = x.Run("fp32", c.Train(NetworkZoo.ResNet20(), new NetworkTrainer.Options { Epochs = x.Option("epochs", 3), LearningRate = 0.1 }));
        int sparsityEpochs = x.Option("sparsity-epochs", 1), fineTune = x.Option("finetune-epochs", 2), qat = x.Option("qat-epochs", 1);
        double temperature = x.OptionDouble("t", 4), alpha = x.OptionDouble("alpha", 0.9);
        x.Summary("epochs_sparsity_finetune_qat", $"{sparsityEpochs}+{fineTune}+{qat}");
        x.Summary("distillation_t_alpha", new[] { temperature, alpha });
        // The library's default keeps the pruned network float when ONNX Runtime runs it faster than int8, and the
        // experiment then measures a float file; --latency-check warn (the CLI's name and values) exports int8 whatever the timing.
        var check = x.Text("latency-check", "keep-float") switch
        {
            "warn" => Int8LatencyCheck.Warn,
            "keep-float" => Int8LatencyCheck.KeepFloatWhereSlower,
            "off" => Int8LatencyCheck.Off,
            var other => throw new ArgumentException($"--latency-check must be warn, keep-float or off, not '{other}'."),
        };
        x.Summary("int8_latency_check", check.ToString());
        // The experiment's goal is a file <= 0.10 of the fp32 one, and the file is mostly one byte per kept parameter, so
        // slimming aims at a parameter count. A fixed rate's size moves with the fp32 model's gammas: slim50 kept 36 %
        // of the parameters and made 0.103 of the bytes on 2026-12-04, 0.097 on 2026-12-02. --rate R prunes a rate instead.
        double rate = x.OptionDouble("rate", 0);
        double? keepParameters = rate > 0 ? null : x.OptionDouble("target-params", 0.33);
        x.Summary("slimming", keepParameters is double k ? $"TargetParameters {k}" : $"PruneRate {rate}");

        CompressionPlan Plan(bool teacher)
        {
            CompressionPlan plan = c.Plan(fp32.Model);
            if (teacher) plan = plan.WithTeacher(fp32.Model);
            return plan
                .NetworkSlimming(new NetworkSlimming.Options
                {
                    PruneRate = rate, TargetParameters = keepParameters, Sparsity = x.OptionDouble("s", 1e-4), SparsityEpochs = sparsityEpochs, Epochs = fineTune, LearningRate = 0.01,
                    DistillationTemperature = temperature, DistillationWeight = alpha,
                })
                .QuantizeAwareTraining(new QuantizeAwareTrainer.Options
                {
                    Epochs = qat, DistillationTemperature = temperature, DistillationWeight = alpha, Latency = new Int8LatencyOptions { Check = check },
                });
        }

        // The test split is the plan's validation data only to report each step's accuracy; nothing is selected on it.
        var mixed = x.Run("mixed", Plan(teacher: false), e => ((CompressionPlan)e).Fit(x.Train, x.Test));
        var mixedKd = x.Option("teacher", 1) == 1 ? x.Run("mixed-kd", Plan(teacher: true), e => ((CompressionPlan)e).Fit(x.Train, x.Test)) : null;
        var models = mixedKd is null ? new[] { mixed } : new[] { mixed, mixedKd };
        foreach (var m in models) Console.WriteLine(m.Model.Plan);

        foreach (var m in models)
        {
            string key = m.Name.Replace('-', '_');
            x.Summary($"{key}_minus_fp32_points", Math.Round((m.Accuracy - fp32.Accuracy) * 100, 2));
            x.Summary($"{key}_onnx_bytes_over_fp32", Math.Round((double)m.OnnxBytes / fp32.OnnxBytes, 4));
            x.Summary($"{key}_steps", m.Model.Plan!.ToString());
            x.Summary($"{key}_params_reduction", Math.Round(m.Model.Pruning!.ParameterReduction, 4));
        }
        if (mixedKd is not null) x.Summary("kd_minus_no_kd_points", Math.Round((mixedKd.Accuracy - mixed.Accuracy) * 100, 2));
    }

    /// <summary>kd-fashion-small: LeNet-5-BN trained alone and distilled from a trained ResNet-20, same seed and epochs.</summary>
    public static void SmallStudent(ExperimentContext x)
    {
        x.UseFashionMnist();
        var c = x.Ml.Transforms.Compression;
        // A teacher only teaches what the student cannot learn alone: with 3 epochs ResNet-20 fit the training rows
        // less well (94.1%) than LeNet-5-BN does in 10 (94.8%), and distillation cost the student 0.66 points.
        var teacher = x.Run("teacher", c.Train(NetworkZoo.ResNet20(), new NetworkTrainer.Options { Epochs = x.Option("epochs", 6), LearningRate = 0.1 }));
        int epochs = x.Option("student-epochs", 10);
        double temperature = x.OptionDouble("t", 4), alpha = x.OptionDouble("alpha", 0.5);
        x.Summary("student_epochs", epochs);
        x.Summary("distillation_t_alpha", new[] { temperature, alpha });

        var student = x.Run("student", c.Train(NetworkZoo.LeNet5(batchNorm: true), new NetworkTrainer.Options { Epochs = epochs }));
        ModelResult Distill(string name, double t, double a) => x.Run(name, c.Distill(NetworkZoo.LeNet5(batchNorm: true), teacher.Model, new Distiller.Options { Epochs = epochs, DistillationTemperature = t, DistillationWeight = a }));
        var studentKd = Distill("student-kd", temperature, alpha);
        x.Summary("student_kd_minus_student_points", Math.Round((studentKd.Accuracy - student.Accuracy) * 100, 2));
        // --variants "2:0.5,8:0.9" adds students distilled at other (T, alpha), each reported next to the main one.
        foreach (string variant in x.Text("variants", "").Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] ta = variant.Split(':');
            double t = double.Parse(ta[0], System.Globalization.CultureInfo.InvariantCulture), a = double.Parse(ta[1], System.Globalization.CultureInfo.InvariantCulture);
            var v = Distill($"student-kd-t{ta[0]}-a{ta[1]}", t, a);
            x.Summary($"student_kd_t{ta[0]}_a{ta[1]}_minus_student_points", Math.Round((v.Accuracy - student.Accuracy) * 100, 2));
        }
        x.Summary("teacher_minus_student_points", Math.Round((teacher.Accuracy - student.Accuracy) * 100, 2));
        x.Summary("final_train_accuracy_student_student_kd", new[] { student.Model.Report.History[^1].TrainAccuracy, studentKd.Model.Report.History[^1].TrainAccuracy });
    }
}
