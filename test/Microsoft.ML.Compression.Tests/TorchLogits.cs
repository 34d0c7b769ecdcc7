using System;
using System.Linq;
using Microsoft.ML.Compression.Compressed;
using Microsoft.ML.Compression.Graph;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;

namespace Microsoft.ML.Compression.Tests;

/// <summary>What a network computes in TorchSharp (eval mode, no gradients), for comparing against references and ONNX Runtime.</summary>
internal static class TorchLogits
{
    /// <summary>Logits of <paramref name="module"/> for <paramref name="rows"/> rows of <paramref name="inputs"/>, row-major.</summary>
    public static float[] Of(GraphModule module, float[] inputs, int rows)
    {
        module.eval();
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        return module.call(torch.tensor(inputs, new long[] { rows, inputs.Length / rows })).data<float>().ToArray();
    }

    /// <summary>Logits of <paramref name="graph"/>'s module.</summary>
    public static float[] Of(NetworkGraph graph, float[] inputs, int rows)
    {
        using var module = new GraphModule(graph);
        return Of(module, inputs, rows);
    }

    /// <summary>Logits of what the exported <paramref name="network"/> computes (<see cref="CompressedNetwork.ToModule"/>).</summary>
    public static float[] Of(CompressedNetwork network, float[] inputs, int rows)
    {
        using var module = network.ToModule();
        return Of(module, inputs, rows);
    }

    /// <summary>The largest element-wise |a - b| of two outputs of the same length.</summary>
    public static float MaxAbsDifference(float[] a, float[] b)
    {
        Assert.AreEqual(a.Length, b.Length, "lengths");
        return a.Zip(b, (x, y) => MathF.Abs(x - y)).Max();
    }
}
