namespace Microsoft.ML.Compression.Training;

/// <summary>
/// Results of training phases that do not depend on what a method does after them, kept for the next Fit that runs
/// the same phase: SCOP's control coefficients and Network Slimming's sparsity training are the same whatever the
/// prune rate and fine-tuning epochs, so a sweep trying several rates of one method trains them once; a plan's finished
/// steps are the same whatever steps follow, so trials that share a pruning step and differ in quantization prune once.
/// A result is found by a key naming everything the phase reads (start weights, settings, hooks, teacher, rows); the
/// owner makes sure every user trains on the same data. Fits running at once may share it.
/// </summary>
internal sealed class TrainedPhaseCache
{
    private readonly Dictionary<string, object> _results = new(StringComparer.Ordinal);

    /// <summary>How many phases were answered from the cache instead of trained.</summary>
    public int Hits { get { lock (_results) return _hits; } }

    private int _hits;

    /// <summary>The result stored under <paramref name="key"/>, if any.</summary>
    public bool TryGet<T>(string key, out T result) where T : class
    {
        lock (_results)
        {
            if (_results.TryGetValue(key, out object? found) && found is T typed)
            {
                _hits++;
                result = typed;
                return true;
            }
        }
        result = null!;
        return false;
    }

    /// <summary>Keeps <paramref name="result"/> under <paramref name="key"/>.</summary>
    public void Add(string key, object result)
    {
        ArgumentNullException.ThrowIfNull(result);
        lock (_results) _results[key] = result;
    }
}
