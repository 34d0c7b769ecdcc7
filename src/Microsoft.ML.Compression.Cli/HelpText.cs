namespace Microsoft.ML.Compression.Cli;

/// <summary>The text of <c>--help</c>, overall and per verb.</summary>
public static class HelpText
{
    private const string Images =
        "Images: a folder with one subfolder per class (root/<class>/<file>; PNG, JPEG, BMP, GIF, WebP; class folders in\n" +
        "  ordinal name order are the model's outputs 0..N-1, so their number must match), a folder of files\n" +
        "  (unlabelled, enough for calibration), or an MNIST-style IDX images file (.gz too) with --labels <idx1 file>.\n" +
        "  Each image is resized to the model's input, made gray for a 1-channel model, and fed as\n" +
        "  (pixel / 255 - mean[c]) / std[c]  with --mean/--std in 0..1 pixel units, one value or one per channel\n" +
        "  (PyTorch's transforms.Normalize after ToTensor; default mean 0, std 1: pixel / 255). Give the values the\n" +
        "  model was trained with; the written model keeps the original's input.\n";

    private const string ExitCodesText =
        "Exit codes: 0 ok; 1 unexpected error; 2 bad arguments; 3 model file problem (missing, unreadable, not ONNX,\n" +
        "  unsupported op); 4 data problem (no images, unreadable image, bad labels, wrong classes); 130 stopped by Ctrl+C.\n" +
        "  Errors are one line on stderr; --verbose adds the library's log and stack traces.\n";

    private const string Common =
        "  --mean M[,M,M] --std S[,S,S]   normalization (see Images)\n" +
        "  --labels FILE                  IDX labels file when the images are an IDX file\n" +
        "  --seed N                       shuffling, subsets and training seed (default 0)\n" +
        "  --max-images N                 use a random subset of N images (quantize: default 512)\n" +
        "  --eval PATH [--eval-labels F]  also score the input and output models on these labelled images\n" +
        "  --report FILE                  JSON report (default: the output path with .json)\n" +
        "  --threads N                    CPU threads for training and scoring\n" +
        "  --plain                        plain progress lines even on a terminal\n" +
        "  --verbose                      the library's log, and stack traces on errors\n";

    private const string Training =
        "  --epochs N --lr X --batch-size N --optimizer sgd|adam   training settings\n";

    /// <summary>The overview: verbs, images, exit codes.</summary>
    public static string Overview =>
        "mlnet-compress: make image classifiers in ONNX files smaller (Microsoft.ML.Compression).\n\n" +
        "Usage: mlnet-compress <verb> [arguments] [options]     mlnet-compress <verb> --help\n\n" +
        "Verbs:\n" +
        "  inspect  <model.onnx> [--json]                                 what the file holds, whether it can be compressed\n" +
        "  quantize <model.onnx> --calibration <images> -o <out.onnx>     post-training int8 quantization\n" +
        "  qat      <model.onnx> --data <images> -o <out.onnx>            int8 quantization-aware training\n" +
        "  prune    <model.onnx> --data <images> -o <out.onnx> --rate R   L1-norm channel pruning + fine-tuning\n" +
        "  train    --network <name> --data <images> -o <out.onnx>        train a zoo network (lenet5, resnet18, ...)\n" +
        "  sweep    <model.onnx> --data <images> --validation <images> -o <folder>\n" +
        "                                                                 search pruning/int8/mixed-bit settings for the\n" +
        "                                                                 Pareto front of accuracy against bytes\n" +
        "  report   <model.onnx> [--data <images>] [--json]               parameters, bytes, ops, accuracy, latency\n\n" +
        Images + "\n" + ExitCodesText + "\n" +
        "Example:\n" +
        "  mlnet-compress quantize lenet.onnx --calibration digits/ -o lenet-int8.onnx --mean 0.1307 --std 0.3081\n";

    // The int8 verbs' options (quantize, qat).
    private const string Int8 =
        "  Convolutions with fewer than 8 input channels (a first layer on the image) stay float: ONNX Runtime's int8\n" +
        "  kernels are slower for them. --all-int8 quantizes them too.\n" +
        "  --latency-check off|warn|keep-float   time int8 against fp32 in ONNX Runtime; keep more layers float\n" +
        "                                 until it is not slower, float throughout if need be (default keep-float),\n" +
        "                                 only warn, or export without timing (off)\n" +
        "  --latency-batch N, --latency-threads N   rows per timed run (default 64) and ORT threads (default 1)\n";

    /// <summary>The help of one verb, or null for an unknown verb.</summary>
    public static string? For(string verb) => verb switch
    {
        "inspect" => "Usage: mlnet-compress inspect <model.onnx> [--json]\n" +
            "  Prints what the ONNX importer sees: inputs (batch, layout), outputs, op counts, unsupported ops, whether\n" +
            "  the model can be imported and, if not, why. --json prints it as JSON. Exit code 3 when it cannot be imported.\n",
        "quantize" => "Usage: mlnet-compress quantize <model.onnx> --calibration <images> -o <out.onnx> [options]\n" +
            "  Post-training int8 quantization: per-channel int8 weights, uint8 activations calibrated on the images\n" +
            "  (labels are not needed), written as standard QDQ ONNX.\n" +
            "  --calibration-method minmax|percentile [--percentile 99.99]\n" + Int8 + Common + "\n" + Images,
        "qat" => "Usage: mlnet-compress qat <model.onnx> --data <labelled images> -o <out.onnx> [options]\n" +
            "  Quantization-aware training (SimQAT int8), default 1 epoch, SGD at learning rate 0.01.\n" + Int8 + Training + Common + "\n" + Images,
        "prune" => "Usage: mlnet-compress prune <model.onnx> --data <labelled images> -o <out.onnx> --rate R [options]\n" +
            "  L1-norm filter pruning: removes the fraction R (default 0.3) of each layer's channels, then fine-tunes\n" +
            "  (default 1 epoch, SGD at learning rate 0.01).\n" +
            "  --channel-multiple N           round kept channel counts to multiples of N (default 8: ONNX Runtime runs\n" +
            "                                 them faster; R is then about the fraction removed)\n" +
            "  --exact-rate                   remove exactly R of each layer's channels (no rounding)\n" +
            "  --target-macs F                instead of R, prune until at most the fraction F of the MACs is left\n" +
            "  --target-params F              instead of R, prune until at most the fraction F of the parameters is\n" +
            "                                 left (with --target-macs, both must hold)\n" +
            Training + Common + "\n" + Images,
        "train" => "Usage: mlnet-compress train --network <name> --data <labelled images> -o <out.onnx> [options]\n" +
            $"  Trains a network of the zoo from scratch: {string.Join(", ", Commands.TrainingCommands.Networks)}.\n" +
            "  --size S | HxW                 input size in pixels (default 28); images are resized to it\n" +
            "  --channels 1|3                 gray or RGB input (default 1)\n" +
            "  --base-width N                 ResNets and mobilenetv2-small: first-stage channels (resnet18/34: 64, others 16)\n" +
            "  --width-multiplier X           mobilenetv2 (the paper's network): width multiplier (default 1.0)\n" +
            "  The ResNet-18/34 and MobileNetV2 stems follow the image size (CIFAR-style at 32 px and less).\n" +
            "  --checkpoint DIR               keep the state after each epoch in DIR; run the same command again after a\n" +
            "                                 crash to continue from the last completed epoch (same model as without one)\n" +
            Training + "  (default 5 epochs, Adam at learning rate 0.002)\n" + Common + "\n" + Images,
        "sweep" => "Usage: mlnet-compress sweep <model.onnx> --data <labelled images> --validation <labelled images> -o <folder> [options]\n" +
            "  An AutoML-style sweep (CompressionSweep): each trial prunes (L1-norm, Network Slimming, SCOP) and/or quantizes\n" +
            "  (int8, or 8/4/2-bit weights per convolution) the model, fine-tunes it on --data, and ONNX Runtime scores it on\n" +
            "  --validation. Objectives: accuracy up, ONNX bytes down. The folder gets trials.csv, pareto.json, pareto.png\n" +
            "  (bytes against accuracy, coloured by latency), fp32.onnx, best.onnx (the smallest feasible model, else the one\n" +
            "  closest to feasible), pareto-1.onnx..., and report.json.\n" +
            "  One line per trial on stderr (a live table on a terminal). Ctrl+C stops after the running trial (exit code 130).\n" +
            "  --labels F, --validation-labels F   IDX labels files when the images are IDX files\n" +
            "  --trials N                     most trials (default 20; promotions to more epochs count)\n" +
            "  --minutes M                    time budget: no trial starts after M minutes\n" +
            "  --epochs E[,E2...]             fine-tuning epochs per step, increasing (default 1): with several, new settings\n" +
            "                                 train E epochs and the best third go on to the next count (successive halving)\n" +
            "  --max-accuracy-drop P          a trial is feasible when its accuracy is at least the starting model's minus P\n" +
            "                                 points (default 1.0)\n" +
            "  --max-bytes-ratio R            and its ONNX bytes at most R times the starting model's\n" +
            "  --tuner multi|cfo|random       multi-objective (default), cost-frugal (smallest feasible model) or random search\n" +
            "  --sensitivity                  measure each layer's sensitivity first and start from the settings it suggests\n" +
            "                                 (also writes sensitivity.csv)\n" +
            "  --checkpoint DIR               where finished trials are kept (default <folder>/checkpoint): run the same\n" +
            "                                 command again after a crash or Ctrl+C to continue without repeating them\n" +
            "  --report FILE                  the JSON report (default <folder>/report.json)\n" +
            "  --mean, --std, --seed, --threads, --plain, --verbose as for the other verbs; --max-images N uses at most N\n" +
            "  images of --data and of --validation each.\n\n" + Images,
        "report" => "Usage: mlnet-compress report <model.onnx> [--data <labelled images>] [--json] [options]\n" +
            "  Bytes, ops, metadata, parameters and MACs; with --data also top-1 accuracy and the median ONNX Runtime\n" +
            "  time of one batch (the model's fixed batch, else 64) with --threads N (default 1).\n" +
            "  --mean, --std, --labels, --max-images, --seed as for the other verbs.\n\n" + Images,
        _ => null,
    };
}
