using System.Linq;
using Microsoft.ML.Compression.Datasets;
using Microsoft.ML.Compression.Distillation;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Tests.Quantization;
using Microsoft.ML.Compression.Training;
using Microsoft.ML.Compression.Zoo;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Tests.Distillation;

/// <summary>FitNets hints: an adapter appears when widths differ, trains with the student, and pulls the features together.</summary>
[TestClass]
public class FeatureHintTests
{
    private static long ParameterCount(GraphModule m) => m.parameters().Sum(p => p.numel());

    private static double HintLoss(GraphModule student, DistillationHook hook, LabeledDataset data)
    {
        int[] rows = Enumerable.Range(0, 256).ToArray();
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        student.eval();
        (Tensor x, Tensor y) = TrainingLoop.Batch(data, rows, 0, rows.Length);
        Tensor logits = student.call(x);
        hook.Loss(student, new TrainingBatch(x, y, rows, data), logits);
        return hook.LastHintLoss!.Value;
    }

    [TestMethod]
    public void AdapterMapsStudentChannelsOntoTheTeachersAndTheHintLossFalls()
    {
        LabeledDataset train = TestData.MnistArrays(MnistSplit.Train, 1024);
        torch.random.manual_seed(0);
        NetworkGraph teacher = new GraphModule(NetworkZoo.ResNet20()).ToGraph(); // seeded random weights are enough for a target
        using var student = new GraphModule(NetworkZoo.LeNet5());
        long before = ParameterCount(student);
        using var hook = new DistillationHook(student, teacher, 4, 0.5, new[] { new FeatureHint("relu1", "stem_relu") }, hintWeight: 10);
        Assert.AreEqual(before + 6 * 16 + 16, ParameterCount(student), "a 1x1 adapter from 6 to 16 channels joins the trained parameters");

        double start = HintLoss(student, hook, train);
        new TrainingLoop(new TrainingOptions { Epochs = 2, LearningRate = 0.02 }).Run(student, train, null, new[] { hook });
        double end = HintLoss(student, hook, train);
        Assert.IsTrue(end < 0.5 * start, $"hint MSE {start:G4} -> {end:G4}");
    }

    [TestMethod]
    public void AugmentedBatchesGetTheTeachersLogitsOfTheChangedImages()
    {
        using LabeledDataset data = TestData.MnistArrays(MnistSplit.Train, 64);
        using var student = new GraphModule(NetworkZoo.LeNet5());
        using var hook = new DistillationHook(student, TestModels.LeNetWithBatchNorm, 4, 0.5, System.Array.Empty<FeatureHint>(), 1);
        int[] rows = Enumerable.Range(0, 64).ToArray();
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        (Tensor x, Tensor y) = TrainingLoop.Batch(data, rows, 0, rows.Length);
        Tensor changed = x.flip(1); // any images other than the stored rows
        Tensor augmented = hook.Loss(student, new TrainingBatch(changed, y, rows, data, Augmented: true), student.call(changed))!;
        Assert.IsNull(hook.TeacherTrainingAccuracy, "augmented batches do not read logits cached for the stored rows");
        Tensor cached = hook.Loss(student, new TrainingBatch(changed, y, rows, data), student.call(changed))!;
        Assert.IsNotNull(hook.TeacherTrainingAccuracy, "plain batches use the cache");
        Assert.AreNotEqual(augmented.item<float>(), cached.item<float>(), "the teacher saw the changed images, not the stored ones");
    }

    [TestMethod]
    public void EqualWidthsNeedNoAdapter()
    {
        using var student = new GraphModule(NetworkZoo.LeNet5());
        long before = ParameterCount(student);
        using var hook = new DistillationHook(student, TestModels.LeNetWithBatchNorm, 4, 0.5, new[] { new FeatureHint("pool1", "pool1") }, 1);
        Assert.AreEqual(before, ParameterCount(student));
    }
}
