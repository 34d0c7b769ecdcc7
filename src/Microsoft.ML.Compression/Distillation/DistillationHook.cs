using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Distillation;

/// <summary>
/// Trains a network against a teacher: the step's loss becomes <see cref="DistillationLoss"/> plus, for each
/// <see cref="FeatureHint"/>, hintWeight x MSE(adapter(student feature), teacher feature). Without hints the teacher's
/// logits are computed once per training set and looked up by row, unless the batch was augmented (then the teacher
/// sees the same changed images as the student).
/// </summary>
internal sealed class DistillationHook : ITrainingHook, ICheckpointedHook, IDisposable
{
    private readonly GraphModule _teacher;
    private readonly double _temperature, _alpha, _hintWeight;
    private readonly List<(FeatureTap Student, FeatureTap Teacher)> _hints = new();
    private LabeledDataset? _cachedFor;
    private float[] _cachedLogits = Array.Empty<float>();

    /// <summary>Installs the hints' taps (and adapters) on <paramref name="student"/>; call before the loop builds its optimizer.</summary>
    public DistillationHook(GraphModule student, NetworkGraph teacher, double temperature, double alpha, IReadOnlyList<FeatureHint> hints, double hintWeight)
    {
        TeacherChecks.CheckCompatible(student.Graph, teacher, hints, "Teacher");
        _temperature = temperature;
        _alpha = alpha;
        _hintWeight = hintWeight;
        _teacher = new GraphModule(teacher);
        foreach (var p in _teacher.parameters()) p.requires_grad = false;
        _teacher.eval();
        foreach (FeatureHint hint in hints)
        {
            int from = student.Graph.ShapeOf(hint.StudentLayer)[0], to = teacher.ShapeOf(hint.TeacherLayer)[0];
            var studentTap = new FeatureTap(hint.StudentLayer, student.OutputModuleOf(hint.StudentLayer), from == to ? null : new ChannelAdapter(from, to));
            var teacherTap = new FeatureTap(hint.TeacherLayer, _teacher.OutputModuleOf(hint.TeacherLayer), null);
            student.SetOutputModule(hint.StudentLayer, studentTap);
            _teacher.SetOutputModule(hint.TeacherLayer, teacherTap);
            _hints.Add((studentTap, teacherTap));
        }
        Fingerprint = FingerprintOf(teacher, temperature, alpha, hints, hintWeight);
    }

    /// <summary>What a distillation reads (the teacher's weights and the loss settings), as checkpoints and reused phases match it.</summary>
    internal static string FingerprintOf(NetworkGraph teacher, double temperature, double alpha, IReadOnlyList<FeatureHint> hints, double hintWeight) =>
        FormattableString.Invariant(
            $"kd|{temperature:R}|{alpha:R}|{hintWeight:R}|{string.Join(',', hints.Select(h => h.StudentLayer + ">" + h.TeacherLayer))}|{TrainingCheckpoint.NetworkHash(teacher)}");

    // The hint adapters live in the student (its output modules), so their weights and optimizer state are in the
    // checkpoint already; the teacher is frozen and its cached logits are recomputed. What must match is the teacher
    // itself and the loss settings.
    public string Fingerprint { get; }

    public IReadOnlyDictionary<string, float[]> SaveState() => new Dictionary<string, float[]>();

    public void LoadState(GraphModule module, IReadOnlyDictionary<string, float[]> state, long step) { }

    /// <summary>Top-1 accuracy of the teacher on the last training set whose logits were cached (null before).</summary>
    public double? TeacherTrainingAccuracy { get; private set; }

    /// <summary>A line for the log after training: how well the teacher fits the training rows (a weak teacher teaches little).</summary>
    public string? Outcome => TeacherTrainingAccuracy is double a ? $"Teacher accuracy on the training rows: {a:P2}." : null;

    /// <summary>The summed mean squared error of the hints in the last step (before <c>hintWeight</c>); null before any.</summary>
    public double? LastHintLoss { get; private set; }

    /// <inheritdoc />
    public bool ReplacesLoss => true;

    /// <inheritdoc />
    public Tensor? Loss(GraphModule module, TrainingBatch batch, Tensor logits)
    {
        Tensor teacherLogits;
        if (_hints.Count == 0 && !batch.Augmented)
            teacherLogits = CachedLogits(batch);
        else
            using (torch.no_grad())
                teacherLogits = _teacher.call(batch.Features);
        Tensor loss = DistillationLoss.Compute(logits, teacherLogits, batch.Labels, _temperature, _alpha);
        if (_hints.Count == 0) return loss;
        Tensor hintLoss = torch.zeros(1);
        foreach (var (student, teacher) in _hints)
        {
            Tensor s = student.Value ?? throw new InvalidOperationException("A hint layer of the student was not computed in this step.");
            if (student.Adapter is not null) s = student.Adapter.call(s);
            hintLoss = hintLoss + nn.functional.mse_loss(s, teacher.Value!);
        }
        LastHintLoss = hintLoss.item<float>();
        return loss + hintLoss.squeeze() * _hintWeight;
    }

    private Tensor CachedLogits(TrainingBatch batch)
    {
        if (!ReferenceEquals(batch.Source, _cachedFor)) Cache(batch.Source);
        int k = _teacher.Graph.ClassCount;
        ReadOnlySpan<int> rows = batch.Rows.Span;
        var values = new float[rows.Length * k];
        for (int i = 0; i < rows.Length; i++)
            Array.Copy(_cachedLogits, (long)rows[i] * k, values, (long)i * k, k);
        return torch.tensor(values, new long[] { rows.Length, k });
    }

    private void Cache(LabeledDataset data)
    {
        const int chunk = 500;
        int k = _teacher.Graph.ClassCount;
        var logits = new float[(long)data.Count * k];
        int[] identity = Enumerable.Range(0, data.Count).ToArray();
        long correct = 0;
        using (torch.no_grad())
            for (int start = 0; start < data.Count; start += chunk)
            {
                using var scope = torch.NewDisposeScope();
                int size = Math.Min(chunk, data.Count - start);
                (Tensor x, Tensor y) = TrainingLoop.Batch(data, identity, start, size);
                Tensor z = _teacher.call(x);
                correct += z.argmax(1).eq(y).sum().item<long>();
                z.data<float>().CopyTo(logits, start * k);
            }
        _cachedLogits = logits;
        _cachedFor = data;
        TeacherTrainingAccuracy = (double)correct / data.Count;
    }

    public void Dispose() => _teacher.Dispose();
}
