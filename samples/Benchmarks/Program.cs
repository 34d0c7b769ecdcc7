// Benchmark experiments: each trains, compresses and measures models and writes artifacts/<experiment>/results.json
// plus the .onnx files it measured. Run from the repository root:
//   dotnet run -c Release --project samples/Benchmarks -- <experiment> [--epochs N] [--finetune-epochs N]
using System;
using System.Collections.Generic;
using System.Linq;
using Benchmarks;

var experiments = new Dictionary<string, Action<ExperimentContext>>(StringComparer.OrdinalIgnoreCase)
{
    ["qat-mnist-lenet"] = QuantizationExperiments.MnistLeNet,
    ["qat-fashion-resnet20"] = QuantizationExperiments.FashionResNet20,
    ["slb-mnist-lenet"] = SlbExperiments.MnistLeNet,
    ["slb-fashion-resnet20"] = SlbExperiments.FashionResNet20,
    ["slim-fashion-vgg"] = PruningExperiments.FashionVgg,
    ["slim-fashion-resnet20"] = PruningExperiments.FashionResNet20,
    ["scop-fashion-resnet20"] = ScopExperiments.FashionResNet20,
    ["mixed-fashion-resnet20"] = DistillationExperiments.MixedResNet20,
    ["kd-fashion-small"] = DistillationExperiments.SmallStudent,
    ["onnx-compress"] = OnnxCompressExperiment.Run,
    ["big-data"] = Benchmarks.BigData.BigDataExperiment.Run,
    ["soak"] = SoakExperiment.Run,
    ["int8-latency"] = Int8LatencyExperiment.Run,
    ["training-speed"] = Benchmarks.TrainingSpeed.TrainingSpeedExperiment.Run,
    ["latency"] = LatencyExperiment.Run,
    ["sweep-fashion-resnet20"] = SweepExperiment.FashionResNet20,
};

if (args.Length == 0 || !experiments.ContainsKey(args[0]))
{
    Console.Error.WriteLine(args.Length == 0 ? "Name an experiment." : $"Unknown experiment '{args[0]}'.");
    Console.Error.WriteLine("Experiments: " + string.Join(", ", experiments.Keys.Order()));
    Console.Error.WriteLine("Options: --epochs N (fp32 training), --finetune-epochs N (compression fine-tuning), --threads N (ORT latency), --torch-threads N (training), --train-rows N (the first N training rows); slim-fashion-vgg: [--rates 0.5,0.7]; scop-fashion-resnet20: [--baselines 0] [--coupled 0] [--scop30 0]; onnx-compress: --model FILE.onnx --data mnist|fashion [--mean M --std S] [--epochs N] [--train-rows N] [--out NAME]; big-data: [--images N] [--subset N] [--batch-size N] [--repeats N] [--torch-threads N]; soak: [--cycles N]; int8-latency: [--batch N] [--threads N]; latency: --dir artifacts/NAME [--data mnist|fashion] [--batch N] [--threads N]; mixed-fashion-resnet20: [--teacher 0] [--target-params 0.33 | --rate R] [--latency-check keep-float|warn|off]; training-speed: [--rounds N] [--torch-threads N] [--lenet-rows N] [--resnet-rows N] [--python PATH]; sweep-fashion-resnet20: [--total-minutes 60 | --minutes N] [--reserve-minutes 5] [--eta 2] [--max-trials 60] [--fidelities 1,2] [--max-bytes-ratio 0.10] [--sensitivity-rows 2000] [--seed 1]");
    return 2;
}

using var context = new ExperimentContext(args[0].ToLowerInvariant(), args.Skip(1).ToArray());
// libtorch's threads for every Fit that sets none: 1 lets two experiments share the 2-core machine without its
// OpenMP threads spinning against each other (training then runs several times slower).
if (context.Has("torch-threads") && context.Name is not ("big-data" or "training-speed"))
    TorchSharp.torch.set_num_threads(context.Option("torch-threads", 1));
experiments[args[0]](context);
context.Finish();
return 0;
