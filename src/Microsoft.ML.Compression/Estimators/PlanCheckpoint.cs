using System.Collections;
using System.Globalization;
using System.IO;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.ML.Compression.Analysis;
using Microsoft.ML.Compression.Graph;
using Microsoft.ML.Compression.Onnx;
using Microsoft.ML.Compression.Onnx.Import;
using Microsoft.ML.Compression.Training;

namespace Microsoft.ML.Compression.Estimators;

/// <summary>
/// What a <see cref="CompressionPlan"/> keeps in its <see cref="CompressionPlan.Options.CheckpointDirectory"/>: the
/// float network of every finished step but the last (fp32 ONNX, which reads back to the same layers and weights),
/// and a JSON manifest naming the finished steps with their report rows, the seeds the steps run with and a
/// fingerprint of the plan (its start, its steps and their options). Each file is written under a temporary name and
/// moved into place, the manifest last, so a crash leaves the previous state or the new one. The step in progress
/// keeps its own training checkpoints in <c>step-k-Name</c>; the last step is never skipped (its own checkpoint makes
/// running it again cheap), so the plan always returns the transformer that step fitted.
/// </summary>
internal sealed class PlanCheckpoint
{
    internal const string ManifestName = "plan.json";

    internal sealed record PruningState(long OnnxBytesBefore, long OnnxBytesAfter, string[] Notes);

    internal sealed record FinishedStep(int Step, string Name, string ModelFile, PlanStepReport Row, PruningState? Pruning);

    internal sealed record Manifest(int Version, string Fingerprint, int[] Seeds, List<FinishedStep> Finished);

    private readonly string _directory;
    private Manifest _manifest;

    private PlanCheckpoint(string directory, Manifest manifest)
    {
        _directory = directory;
        _manifest = manifest;
    }

    /// <summary>The seed step <paramref name="index"/> (0-based) runs with when its options set none.</summary>
    public int SeedOf(int index) => _manifest.Seeds[index];

    /// <summary>
    /// Opens <paramref name="directory"/>: the plan's manifest when one is there (refused, naming the folder, when it
    /// is another plan's), else a new one with the seeds <paramref name="drawSeeds"/> gives.
    /// </summary>
    public static PlanCheckpoint Open(string directory, string fingerprint, Func<int[]> drawSeeds)
    {
        string path = Path.Combine(directory, ManifestName);
        if (File.Exists(path))
        {
            Manifest? manifest;
            try
            {
                manifest = JsonSerializer.Deserialize<Manifest>(File.ReadAllText(path));
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"The plan checkpoint manifest in '{directory}' cannot be read: {e.Message}", e);
            }
            if (manifest is null) throw new InvalidDataException($"The plan checkpoint manifest in '{directory}' is empty.");
            if (manifest.Fingerprint != fingerprint)
                throw new InvalidOperationException(
                    $"The checkpoint folder '{directory}' belongs to another plan (its starting model, steps or step options differ from this one's). " +
                    "Use another CheckpointDirectory or delete this one.");
            return new PlanCheckpoint(directory, manifest);
        }
        Directory.CreateDirectory(directory);
        var checkpoint = new PlanCheckpoint(directory, new Manifest(1, fingerprint, drawSeeds(), new List<FinishedStep>()));
        checkpoint.WriteManifest();
        return checkpoint;
    }

    /// <summary>The folder step <paramref name="index"/> (0-based) keeps its training checkpoints in.</summary>
    public string StepDirectory(int index, string name) => Path.Combine(_directory, $"step-{index + 1}-{name}");

    /// <summary>Step <paramref name="index"/> when it finished in an earlier Fit, else null.</summary>
    public FinishedStep? Finished(int index) => _manifest.Finished.FirstOrDefault(s => s.Step == index + 1);

    /// <summary>The float network a finished step produced (the next step's starting point) and the path it was read from.</summary>
    public (NetworkGraph Network, string Path) Load(FinishedStep step)
    {
        string path = Path.Combine(_directory, step.ModelFile);
        return (OnnxFile.Import(OnnxFile.ReadBytes(path), $"'{path}'"), path);
    }

    /// <summary>Keeps step <paramref name="index"/>'s float network and its report row; the manifest is rewritten last.</summary>
    public void Finish(int index, string name, NetworkGraph network, PlanStepReport row, PruningReport? pruning)
    {
        byte[] bytes = OnnxExporter.Export(network);
        // What the next step starts from must read back exactly, or a resumed plan would end elsewhere.
        if (!OnnxExporter.Export(OnnxFile.Import(bytes, $"step {index + 1} ({name})")).AsSpan().SequenceEqual(bytes))
            throw new NotSupportedException(
                $"Step {index + 1} ({name}) produced network '{network.Name}', which its fp32 ONNX file does not give back exactly (e.g. it has Dropout layers), " +
                $"so the plan cannot keep it in '{_directory}'; unset {nameof(CompressionPlan.Options.CheckpointDirectory)}.");
        string file = $"step-{index + 1}-{name}.onnx";
        TrainingCheckpoint.Atomic(_directory, file, temp => File.WriteAllBytes(temp, bytes));
        var state = pruning is null ? null : new PruningState(pruning.OnnxBytesBefore, pruning.OnnxBytesAfter, pruning.Notes.ToArray());
        _manifest = _manifest with { Finished = _manifest.Finished.Where(s => s.Step != index + 1).Append(new FinishedStep(index + 1, name, file, row, state)).ToList() };
        WriteManifest();
    }

    private void WriteManifest()
    {
        string json = JsonSerializer.Serialize(_manifest, new JsonSerializerOptions { WriteIndented = true });
        TrainingCheckpoint.Atomic(_directory, ManifestName, temp => File.WriteAllText(temp, json));
    }

    /// <summary>A hash of the starting network (name and weights), the plan's teacher and every step's name and options.</summary>
    public static string Fingerprint(NetworkGraph start, NetworkGraph? teacher, IEnumerable<(string Name, object Options)> steps)
    {
        var text = new StringBuilder();
        text.Append(TrainingCheckpoint.NetworkHash(start)).Append('|').Append(teacher is null ? "-" : TrainingCheckpoint.NetworkHash(teacher));
        foreach (var (name, options) in steps) text.Append('|').Append(name).Append(':').Append(Describe(options, 0));
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    // Settings that change nothing in the model (where checkpoints go, callbacks, threads, cancellation) stay out.
    private static readonly HashSet<string> Ignored = new(StringComparer.Ordinal)
    {
        nameof(Training.TrainingOptions.CheckpointDirectory), nameof(Training.TrainingOptions.ReturnPartialModelOnCancel),
        nameof(CompressionOptions.OnEpoch), nameof(EstimatorOptions.CancellationToken), nameof(EstimatorOptions.Threads), nameof(EstimatorOptions.DataCache),
    };

    // The options' public settings as text, in name order: values, lists of values, a teacher by its network's hash.
    private static string Describe(object? value, int depth) => value switch
    {
        null => "null",
        string s => s,
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        bool or Enum => value.ToString()!,
        StartingPoint start => TrainingCheckpoint.NetworkHash(start.Network),
        NetworkGraph network => TrainingCheckpoint.NetworkHash(network),
        IEnumerable items => "[" + string.Join(",", items.Cast<object?>().Select(i => Describe(i, depth + 1))) + "]",
        _ when depth > 3 => value.ToString()!,
        _ => "{" + string.Join(";", value.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanRead && p.GetIndexParameters().Length == 0 && !Ignored.Contains(p.Name) && !typeof(Delegate).IsAssignableFrom(p.PropertyType))
            .OrderBy(p => p.Name, StringComparer.Ordinal)
            .Select(p => p.Name + "=" + Describe(p.GetValue(value), depth + 1))) + "}",
    };
}
