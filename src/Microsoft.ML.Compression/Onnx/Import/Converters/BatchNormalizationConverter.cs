using System.Globalization;
using Microsoft.ML.Compression.Graph;

namespace Microsoft.ML.Compression.Onnx.Import.Converters;

/// <summary>
/// BatchNormalization in inference form with constant scale, bias, mean and variance -> <see cref="BatchNorm2dLayer"/>
/// on a [C,H,W] map; on a [F] vector (PyTorch's BatchNorm1d) its frozen affine form, folded into the Linear before it
/// when nothing else reads that, otherwise a <see cref="ScaleShiftLayer"/>.
/// </summary>
[OnnxOp("BatchNormalization")]
internal sealed class BatchNormalizationConverter : IOpConverter
{
    public void Convert(OnnxNode node, ImportContext context)
    {
        string input = context.LayerInput(node, 0);
        if (node.Int("training_mode", 0) != 0) throw node.Unsupported("training_mode 1 is not supported; export the model for inference.");
        if (node.Int("spatial", 1) != 1) throw node.Unsupported("spatial 0 (statistics per position) is not supported.");
        int[] shape = context.ShapeOf(input);
        // Read the float epsilon back as its shortest decimal, so 1e-5 written as a float is 1e-5 again.
        double epsilon = double.Parse(node.Float("epsilon", 1e-5f).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        if (shape.Length == 1)
        {
            float[] Read(int index, string what) => context.Parameter(node, index, shape, what).Data;
            float[] gamma = Read(1, "scale"), beta = Read(2, "bias"), mean = Read(3, "mean"), variance = Read(4, "variance");
            float[] scale = gamma.Select((g, i) => (float)(g / Math.Sqrt(variance[i] + epsilon))).ToArray();
            ConstantArithmetic.ApplyAffine(node, context, 0, scale, beta.Select((b, i) => b - mean[i] * scale[i]).ToArray());
            return;
        }
        if (shape.Length != 3) throw node.Unsupported($"its input has shape {Layer.Format(shape)}; only [C,H,W] feature maps and [F] vectors are supported.");
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
