using System.IO;
namespace Microsoft.ML.Compression.Sweeps;

/// <summary>
/// What a <see cref="CompressionSweep"/> found: every trial with its settings and metrics, the Pareto front, the best
/// feasible trial and the best effort (never null once a trial finished), the starting model's metrics, and the models.
/// </summary>
public sealed class CompressionSweepResult
{
    internal const string ModelFile = "model.onnx";

    private readonly byte[] _startOnnx;

    internal CompressionSweepResult(SweepResult sweep, IReadOnlyDictionary<string, double> start, byte[] startOnnx)
    {
        Sweep = sweep;
        Start = start;
        _startOnnx = startOnnx;
    }

    /// <summary>Trials, front, best and best effort, with CSV, JSON and Pareto plot writers.</summary>
    public SweepResult Sweep { get; }

    /// <summary>The starting model's metrics, measured as the trials' are.</summary>
    public IReadOnlyDictionary<string, double> Start { get; }

    /// <summary>The best feasible trial (first objective), or null when none is feasible.</summary>
    public SweepTrial? Best => Sweep.Best;

    /// <summary><see cref="Best"/>, else the trial that misses the constraints least.</summary>
    public SweepTrial? BestEffort => Sweep.BestEffort;

    /// <summary>The non-dominated trials (see <see cref="SweepResult.ParetoFront"/>).</summary>
    public IReadOnlyList<SweepTrial> ParetoFront => Sweep.ParetoFront;

    /// <summary>What <paramref name="trial"/> ran.</summary>
    public static CompressionTrialSettings SettingsOf(SweepTrial trial)
    {
        ArgumentNullException.ThrowIfNull(trial);
        return CompressionSearchSpace.Decode(trial.Configuration, trial.Fidelity);
    }

    /// <summary>The path of the ONNX model <paramref name="trial"/> produced.</summary>
    public string ModelPathOf(SweepTrial trial) => Path.Combine(Sweep.FolderOf(trial), ModelFile);

    /// <summary>The ONNX model <paramref name="trial"/> produced; throws naming the file when it is gone.</summary>
    public byte[] ModelOf(SweepTrial trial)
    {
        string path = ModelPathOf(trial);
        if (!File.Exists(path))
            throw new FileNotFoundException($"Trial {trial.Id} has no model file{(trial.Succeeded ? "" : $" (it failed: {trial.Error})")}; expected '{path}'.", path);
        return File.ReadAllBytes(path);
    }

    /// <summary>
    /// Writes <c>fp32.onnx</c> (the starting model), <c>best.onnx</c> (<see cref="BestEffort"/>) and <c>pareto-k.onnx</c>
    /// for each front member (k from 1, in front order) into <paramref name="folder"/>; returns the paths written.
    /// </summary>
    public IReadOnlyList<string> SaveModels(string folder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        Directory.CreateDirectory(folder);
        var written = new List<string>();
        void Write(string name, byte[] bytes)
        {
            string path = Path.Combine(folder, name);
            File.WriteAllBytes(path, bytes);
            written.Add(path);
        }
        Write("fp32.onnx", _startOnnx);
        if (BestEffort is SweepTrial best) Write("best.onnx", ModelOf(best));
        for (int k = 0; k < ParetoFront.Count; k++) Write($"pareto-{k + 1}.onnx", ModelOf(ParetoFront[k]));
        return written;
    }
}
