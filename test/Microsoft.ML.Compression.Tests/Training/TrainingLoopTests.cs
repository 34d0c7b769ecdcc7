using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.ML.Compression.Datasets;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Training;
using Microsoft.ML.Compression.Zoo;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;

namespace Microsoft.ML.Compression.Tests.Training;

[TestClass]
public class TrainingLoopTests
{
    private static LabeledDataset _train = null!;
    private static LabeledDataset _test = null!;

    [ClassInitialize]
    public static void Load(TestContext context)
    {
        _train = TestData.MnistArrays(MnistSplit.Train, 6000);
        _test = TestData.MnistArrays(MnistSplit.Test, 1000);
    }

    [TestMethod]
    public void SgdWithCosineLearnsLeNet()
    {
        var seen = new List<EpochMetrics>();
        var options = new TrainingOptions { Epochs = 3, BatchSize = 64, LearningRate = 0.05 };
        torch.random.manual_seed(0);
        using var module = new GraphModule(NetworkZoo.LeNet5());
        var before = TrainingLoop.Evaluate(module, _test);
        var history = new TrainingLoop(options, onEpoch: seen.Add).Run(module, _train, _test);

        Assert.AreEqual(3, history.Count);
        CollectionAssert.AreEqual(history.ToList(), seen, "the callback sees every epoch");
        Assert.IsTrue(history[^1].TrainLoss < history[0].TrainLoss * 0.6, $"loss {history[0].TrainLoss} -> {history[^1].TrainLoss}");
        Assert.IsTrue(history[^1].ValidationAccuracy > 0.90, $"accuracy {history[^1].ValidationAccuracy} on 1000 test images after 3 epochs on 6000");
        Assert.IsTrue(before.Accuracy < 0.3, $"untrained accuracy {before.Accuracy}");
        Assert.IsTrue(history[^1].LearningRate < 0.01, "cosine schedule ends near zero");
    }

    [TestMethod]
    public void AdamWithStepScheduleLearnsResNet()
    {
        var options = new TrainingOptions
        {
            Epochs = 2, BatchSize = 64, Optimizer = OptimizerKind.Adam, LearningRate = 1e-3,
            Schedule = LearningRateSchedule.Step, StepEpochs = 1, StepGamma = 0.5, WeightDecay = 0,
        };
        torch.random.manual_seed(1);
        using var module = new GraphModule(NetworkZoo.ResNet20());
        var history = new TrainingLoop(options).Run(module, TestData.MnistArrays(MnistSplit.Train, 2000), _test);
        Assert.AreEqual(5e-4, history[1].LearningRate, 1e-12, "step schedule halves the rate after one epoch");
        Assert.IsTrue(history[1].ValidationAccuracy > 0.75, $"ResNet-20 accuracy {history[1].ValidationAccuracy}");
    }

    [TestMethod]
    public void NarrowConvolutionsTrainWithoutNaNAndThreadsAreRestored()
    {
        // 4-channel convolutions hit libtorch 2.10's faulty input gradients (NaN at random) without ConvolutionKernel's padding.
        int before = torch.get_num_threads();
        using var module = new GraphModule(NetworkZoo.ResNet20(baseWidth: 4));
        var history = new TrainingLoop(new TrainingOptions { Epochs = 2, Threads = 1 }).Run(module, TestData.MnistArrays(MnistSplit.Train, 512));
        Assert.IsTrue(history[1].TrainLoss < history[0].TrainLoss, $"loss fell {history[0].TrainLoss} -> {history[1].TrainLoss}");
        Assert.AreEqual(before, torch.get_num_threads(), "the thread count is restored after training");
    }

    [TestMethod]
    public void HooksAreCalledInOrder()
    {
        var hook = new RecordingHook();
        using var module = new GraphModule(NetworkZoo.LeNet5());
        new TrainingLoop(new TrainingOptions { Epochs = 2, BatchSize = 100 }).Run(module, TestData.MnistArrays(MnistSplit.Train, 300), hooks: new[] { hook });
        Assert.AreEqual("start,epoch1,loss,back,step,loss,back,step,loss,back,step,end1,epoch2,loss,back,step,loss,back,step,loss,back,step,end2",
            string.Join(",", hook.Calls));
        CollectionAssert.AreEquivalent(Enumerable.Range(0, 300).Concat(Enumerable.Range(0, 300)).ToArray(), hook.Rows.ToArray(), "each epoch's batches name every row once");
    }

    [TestMethod]
    public void OneHookMayReplaceTheLoss()
    {
        using var module = new GraphModule(NetworkZoo.LeNet5());
        var data = TestData.MnistArrays(MnistSplit.Train, 200);
        var zero = new ZeroLoss();
        var history = new TrainingLoop(new TrainingOptions { Epochs = 1 }).Run(module, data, hooks: new[] { zero });
        Assert.AreEqual(0, history[0].TrainLoss, "the replacing hook's loss is the one trained and reported");
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => new TrainingLoop(new TrainingOptions { Epochs = 1 }).Run(module, data, hooks: new[] { zero, new ZeroLoss() }));
        StringAssert.Contains(e.Message, "Only one training hook may replace the loss");
    }

    private sealed class ZeroLoss : ITrainingHook
    {
        public bool ReplacesLoss => true;
        public torch.Tensor? Loss(GraphModule module, TrainingBatch batch, torch.Tensor logits) => (logits * 0).sum();
    }

    [TestMethod]
    public void CancellationStopsTraining()
    {
        using var cts = new CancellationTokenSource();
        int epochs = 0;
        var loop = new TrainingLoop(new TrainingOptions { Epochs = 5, CancellationToken = cts.Token }, onEpoch: _ => { epochs++; cts.Cancel(); });
        using var module = new GraphModule(NetworkZoo.LeNet5());
        Assert.ThrowsExactly<OperationCanceledException>(() => loop.Run(module, TestData.MnistArrays(MnistSplit.Train, 200)));
        Assert.AreEqual(1, epochs);
    }

    [TestMethod]
    public void BadOptionsNameTheOption()
    {
        var ex = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new TrainingLoop(new TrainingOptions { LearningRate = -1 }));
        Assert.AreEqual("LearningRate", ex.ParamName);
        Assert.AreEqual("Epochs", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new TrainingLoop(new TrainingOptions { Epochs = 0 })).ParamName);
        Assert.AreEqual("Momentum", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new TrainingLoop(new TrainingOptions { Momentum = 1.5 })).ParamName);
    }

    private sealed class RecordingHook : ITrainingHook
    {
        public List<string> Calls { get; } = new();
        public void OnTrainingStart(GraphModule module) => Calls.Add("start");
        public void OnEpochStart(GraphModule module, int epoch) => Calls.Add("epoch" + epoch);
        public torch.Tensor? ExtraLoss(GraphModule module, TrainingBatch batch, torch.Tensor logits)
        {
            Calls.Add("loss");
            Rows.AddRange(batch.Rows.ToArray());
            return null;
        }
        public List<int> Rows { get; } = new();
        public void AfterBackward(GraphModule module, long step) => Calls.Add("back");
        public void AfterStep(GraphModule module, long step) => Calls.Add("step");
        public void OnEpochEnd(GraphModule module, int epoch) => Calls.Add("end" + epoch);
    }
}
