using System.Globalization;
using Microsoft.ML.Compression.Graph;

namespace Microsoft.ML.Compression.Onnx.Import.Converters;

/// <summary>BatchNormalization in inference form with constant scale, bias, mean and variance -> <see cref="BatchNorm2dLayer"/>.</summary>
[OnnxOp("BatchNormalization")]
internal sealed class BatchNormalizationConverter : IOpConverter
{
    public void Convert(OnnxNode node, ImportContext context)
    {
        string input = context.LayerInput(node, 0);
        if (node.Int("training_mode", 0) != 0) throw node.Unsupported("training_mode 1 is not supported; export the model for inference.");
        if (node.Int("spatial", 1) != 1) throw node.Unsupported("spatial 0 (statistics per position) is not supported.");
        int[] shape = context.ShapeOf(input);
        if (shape.Length != 3) throw node.Unsupported($"its input has shape {Layer.Format(shape)}; only [C,H,W] feature maps are supported.");
        // Read the float epsilon back as its shortest decimal, so 1e-5 written as a float is 1e-5 again.
        double epsilon = double.Parse(node.Float("epsilon", 1e-5f).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        // ONNX's momentum weighs the running value, PyTorch's the batch statistic.
        double momentum = node.Has("momentum") ? 1 - (double)node.Float("momentum", 0.9f) : 0.1;
        if (!(momentum > 0 && momentum <= 1)) momentum = 0.1;
        context.AddLayer(node, name =>
        {
            var bn = new BatchNorm2dLayer(name, input, shape[0], epsilon, momentum);
            string[] parameters = { "weight", "bias", "running_mean", "running_var" };
            for (int i = 0; i < parameters.Length; i++)
                bn.SetParameter(parameters[i], context.Parameter(node, i + 1, bn.ParameterShape(parameters[i]), parameters[i]));
            return bn;
        });
    }
}
