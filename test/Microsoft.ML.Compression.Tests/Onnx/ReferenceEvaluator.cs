using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.Compression.Graph;

namespace Microsoft.ML.Compression.Tests.Onnx;

/// <summary>
/// A deliberately naive evaluator of the network IR for one sample (plain loops, double accumulators), written from
/// the layer definitions so ONNX exports can be checked against something independent of ONNX Runtime and TorchSharp.
/// </summary>
internal static class ReferenceEvaluator
{
    /// <summary>The logits for one flattened [C*H*W] sample.</summary>
    public static float[] Evaluate(NetworkGraph graph, float[] sample)
    {
        if (sample.Length != graph.InputSize) throw new ArgumentException("Sample size does not match the network input.");
        var values = new Dictionary<string, float[]> { [NetworkGraph.InputName] = sample };
        foreach (Layer layer in graph.Layers)
        {
            float[][] ins = layer.Inputs.Select(i => values[i]).ToArray();
            int[][] shapes = layer.Inputs.Select(graph.ShapeOf).ToArray();
            values[layer.Name] = Apply(layer, ins, shapes, graph.ShapeOf(layer.Name));
        }
        return values[graph.OutputLayer.Name];
    }

    private static float[] Apply(Layer layer, float[][] x, int[][] s, int[] outShape) => layer switch
    {
        Conv2dLayer c => Conv(c, x[0], s[0], outShape),
        BatchNorm2dLayer bn => BatchNorm(bn, x[0], s[0]),
        LinearLayer fc => Linear(fc, x[0]),
        ReLULayer => x[0].Select(v => Math.Max(v, 0f)).ToArray(),
        ReLU6Layer => x[0].Select(v => Math.Min(Math.Max(v, 0f), 6f)).ToArray(),
        MaxPool2dLayer mp => Pool(x[0], s[0], outShape, mp, max: true),
        AvgPool2dLayer ap => Pool(x[0], s[0], outShape, ap, max: false),
        GlobalAvgPoolLayer => GlobalAvg(x[0], s[0]),
        GlobalMaxPoolLayer => Enumerable.Range(0, s[0][0]).Select(c => x[0].Skip(c * s[0][1] * s[0][2]).Take(s[0][1] * s[0][2]).Max()).ToArray(),
        FlattenLayer or DropoutLayer => (float[])x[0].Clone(),
        AddLayer => Enumerable.Range(0, x[0].Length).Select(i => { float sum = x[0][i]; for (int k = 1; k < x.Length; k++) sum += x[k][i]; return sum; }).ToArray(),
        ConcatLayer => x.SelectMany(v => v).ToArray(), // channel-major layout: concatenating channel blocks
        ReshapeLayer => (float[])x[0].Clone(),
        SliceLayer sl => Slice(x[0], s[0], sl),
        TransposeLayer t => Transpose(x[0], s[0], t.Permutation.ToArray()),
        ClipLayer c => x[0].Select(v => Math.Min(Math.Max(v, c.Min), c.Max)).ToArray(),
        PReLULayer p => x[0].Select((v, i) => v >= 0 ? v : p.Parameters["weight"].Data[p.Slopes == 1 ? 0 : i / (x[0].Length / s[0][0])] * v).ToArray(),
        LeakyReLULayer l => x[0].Select(v => v >= 0 ? v : (float)(l.Alpha * v)).ToArray(),
        SigmoidLayer => x[0].Select(v => (float)(1 / (1 + Math.Exp(-(double)v)))).ToArray(),
        HardSigmoidLayer h => x[0].Select(v => (float)Math.Clamp(h.Alpha * v + h.Beta, 0, 1)).ToArray(),
        HardSwishLayer => x[0].Select(v => (float)(v * Math.Clamp(v / 6.0 + 0.5, 0, 1))).ToArray(),
        MulLayer => Mul(x, s, outShape),
        ScaleShiftLayer ss => ScaleShift(ss, x[0], s[0]),
        PadLayer pad => Pad(pad, x[0], s[0], outShape),
        _ => throw new NotSupportedException(layer.Kind),
    };

    private static float[] Conv(Conv2dLayer c, float[] x, int[] s, int[] o)
    {
        float[] w = c.Parameters["weight"].Data;
        float[]? b = c.HasBias ? c.Parameters["bias"].Data : null;
        Window2d win = c.Window;
        int inH = s[1], inW = s[2], kh = win.KernelHeight, kw = win.KernelWidth;
        int inPerGroup = c.InChannels / c.Groups, outPerGroup = c.OutChannels / c.Groups;
        var y = new float[o[0] * o[1] * o[2]];
        for (int oc = 0; oc < o[0]; oc++)
        {
            int g = oc / outPerGroup;
            for (int oy = 0; oy < o[1]; oy++)
                for (int ox = 0; ox < o[2]; ox++)
                {
                    double acc = b?[oc] ?? 0;
                    for (int ic = 0; ic < inPerGroup; ic++)
                        for (int ky = 0; ky < kh; ky++)
                            for (int kx = 0; kx < kw; kx++)
                            {
                                int iy = oy * win.StrideHeight - win.PadTop + ky * win.DilationHeight;
                                int ix = ox * win.StrideWidth - win.PadLeft + kx * win.DilationWidth;
                                if (iy < 0 || iy >= inH || ix < 0 || ix >= inW) continue;
                                int channel = g * inPerGroup + ic;
                                acc += (double)w[((oc * inPerGroup + ic) * kh + ky) * kw + kx] * x[(channel * inH + iy) * inW + ix];
                            }
                    y[(oc * o[1] + oy) * o[2] + ox] = (float)acc;
                }
        }
        return y;
    }

    private static float[] BatchNorm(BatchNorm2dLayer bn, float[] x, int[] s)
    {
        var p = bn.Parameters;
        int plane = s[1] * s[2];
        var y = new float[x.Length];
        for (int c = 0; c < s[0]; c++)
        {
            double scale = p["weight"].Data[c] / Math.Sqrt(p["running_var"].Data[c] + bn.Epsilon);
            for (int i = 0; i < plane; i++)
                y[c * plane + i] = (float)((x[c * plane + i] - p["running_mean"].Data[c]) * scale + p["bias"].Data[c]);
        }
        return y;
    }

    private static float[] Linear(LinearLayer fc, float[] x)
    {
        float[] w = fc.Parameters["weight"].Data;
        var y = new float[fc.OutFeatures];
        for (int o = 0; o < fc.OutFeatures; o++)
        {
            double acc = fc.HasBias ? fc.Parameters["bias"].Data[o] : 0;
            for (int i = 0; i < fc.InFeatures; i++) acc += (double)w[o * fc.InFeatures + i] * x[i];
            y[o] = (float)acc;
        }
        return y;
    }

    private static float[] Pool(float[] x, int[] s, int[] o, WindowPoolLayer p, bool max)
    {
        var y = new float[o[0] * o[1] * o[2]];
        for (int c = 0; c < o[0]; c++)
            for (int oy = 0; oy < o[1]; oy++)
                for (int ox = 0; ox < o[2]; ox++)
                {
                    Window2d w = p.Window;
                    double acc = max ? double.NegativeInfinity : 0;
                    int count = 0, padded = 0; // padded positions: ignored by max, counted by the average only with count_include_pad
                    for (int ky = 0; ky < w.KernelHeight; ky++)
                        for (int kx = 0; kx < w.KernelWidth; kx++)
                        {
                            int iy = oy * w.StrideHeight - w.PadTop + ky * w.DilationHeight, ix = ox * w.StrideWidth - w.PadLeft + kx * w.DilationWidth;
                            // A ceil-mode window may reach past the end padding: those taps count nowhere.
                            if (iy < s[1] + w.PadBottom && ix < s[2] + w.PadRight) padded++;
                            if (iy < 0 || iy >= s[1] || ix < 0 || ix >= s[2]) continue;
                            float v = x[(c * s[1] + iy) * s[2] + ix];
                            acc = max ? Math.Max(acc, v) : acc + v;
                            count++;
                        }
                    bool includePad = p is AvgPool2dLayer { CountIncludePad: true };
                    y[(c * o[1] + oy) * o[2] + ox] = (float)(max ? acc : acc / (includePad ? padded : count));
                }
        return y;
    }

    private static float[] Slice(float[] x, int[] shape, SliceLayer slice)
    {
        int outer = shape.Take(slice.Axis).Aggregate(1, (a, d) => a * d), inner = shape.Skip(slice.Axis + 1).Aggregate(1, (a, d) => a * d);
        var y = new List<float>();
        for (int o = 0; o < outer; o++)
            for (int k = 0; k < slice.Count; k++)
                for (int i = 0; i < inner; i++)
                    y.Add(x[(o * shape[slice.Axis] + slice.Start + k * slice.Step) * inner + i]);
        return y.ToArray();
    }

    private static float[] Transpose(float[] x, int[] shape, int[] perm)
    {
        int rank = shape.Length;
        int[] outShape = perm.Select(p => shape[p]).ToArray();
        int[] inStrides = new int[rank];
        for (int i = rank - 1, stride = 1; i >= 0; stride *= shape[i], i--) inStrides[i] = stride;
        var y = new float[x.Length];
        var index = new int[rank];
        for (int o = 0; o < y.Length; o++)
        {
            int rest = o, source = 0;
            for (int i = rank - 1; i >= 0; i--) { index[i] = rest % outShape[i]; rest /= outShape[i]; }
            for (int i = 0; i < rank; i++) source += index[i] * inStrides[perm[i]];
            y[o] = x[source];
        }
        return y;
    }

    // Each input is either the output's shape or a [C,1,1] gate, whose value covers its channel's plane.
    private static float[] Mul(float[][] x, int[][] s, int[] o)
    {
        int plane = o.Skip(1).Aggregate(1, (a, d) => a * d);
        float At(int k, int i) => s[k].SequenceEqual(o) ? x[k][i] : x[k][i / plane];
        return Enumerable.Range(0, o.Aggregate(1, (a, d) => a * d)).Select(i => (float)((double)At(0, i) * At(1, i))).ToArray();
    }

    private static float[] ScaleShift(ScaleShiftLayer layer, float[] x, int[] s)
    {
        float[] w = layer.Parameters["weight"].Data, b = layer.Parameters["bias"].Data;
        int plane = s.Skip(1).Aggregate(1, (a, d) => a * d);
        return x.Select((v, i) => (float)((double)v * w[i / plane] + b[i / plane])).ToArray();
    }

    private static float[] Pad(PadLayer p, float[] x, int[] s, int[] o)
    {
        var y = new float[o[0] * o[1] * o[2]];
        // Maps an output coordinate to the input one it copies, or -1 for the constant border.
        int Source(int i, int size) => i >= 0 && i < size ? i : p.Mode switch
        {
            PadMode.Reflect => i < 0 ? -i : 2 * (size - 1) - i,
            PadMode.Edge => Math.Clamp(i, 0, size - 1),
            _ => -1,
        };
        for (int c = 0; c < o[0]; c++)
            for (int oy = 0; oy < o[1]; oy++)
                for (int ox = 0; ox < o[2]; ox++)
                {
                    int iy = Source(oy - p.Top, s[1]), ix = Source(ox - p.Left, s[2]);
                    y[(c * o[1] + oy) * o[2] + ox] = iy < 0 || ix < 0 ? p.Value : x[(c * s[1] + iy) * s[2] + ix];
                }
        return y;
    }

    private static float[] GlobalAvg(float[] x, int[] s)
    {
        int plane = s[1] * s[2];
        var y = new float[s[0]];
        for (int c = 0; c < s[0]; c++)
        {
            double acc = 0;
            for (int i = 0; i < plane; i++) acc += x[c * plane + i];
            y[c] = (float)(acc / plane);
        }
        return y;
    }
}
